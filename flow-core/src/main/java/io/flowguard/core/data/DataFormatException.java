package io.flowguard.core.data;

/**
 * Input data that cannot be used, with a message naming the file, line and column and what to do.
 * A user error: the CLI prints the message and exits non-zero.
 */
public final class DataFormatException extends IllegalArgumentException {

  private final String nonNumericColumn;

  public DataFormatException(String message) {
    this(message, null);
  }

  private DataFormatException(String message, String nonNumericColumn) {
    super(message);
    this.nonNumericColumn = nonNumericColumn;
  }

  /** A value of {@code column}, read as a feature, is not a number (so the column may not be a feature at all). */
  static DataFormatException notANumber(String message, String column) {
    return new DataFormatException(message, column);
  }

  /** The column whose value was not a number, where that is the problem. */
  public java.util.Optional<String> nonNumericColumn() {
    return java.util.Optional.ofNullable(nonNumericColumn);
  }

  /** The file could not be decoded as UTF-8: it is binary (a model file, a spreadsheet) or in another encoding. */
  public static DataFormatException notUtf8(String source) {
    return new DataFormatException(source + " is not UTF-8 text (is it a CSV or JSON-lines file?)");
  }
}
