package io.flowguard.core.data;

/**
 * Input data that cannot be used, with a message naming the file, line and column and what to do.
 * A user error: the CLI prints the message and exits non-zero.
 */
public final class DataFormatException extends IllegalArgumentException {
  public DataFormatException(String message) {
    super(message);
  }
}
