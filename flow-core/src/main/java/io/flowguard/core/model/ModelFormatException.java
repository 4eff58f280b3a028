package io.flowguard.core.model;

import java.io.IOException;
import java.util.Objects;

/**
 * A model file that cannot be read, and why. Every failure to read a model file, whatever the bytes,
 * is one of these: callers that accept model files from outside catch one type and report
 * {@link #kind()} (e.g. as a metric label) and the message (which says what to do).
 */
public final class ModelFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  /** What is wrong with the file. */
  public enum Kind {
    /** The bytes are not a Flowguard model (wrong magic, or data after the end of the model). */
    NOT_A_MODEL,
    /** The file ends before the sizes in its header say it should. */
    TRUNCATED,
    /** The SHA-256 trailer does not match the content: the file was damaged after it was written. */
    CHECKSUM_MISMATCH,
    /** Written by a newer Flowguard, in a format version this one does not know. */
    NEWER_VERSION,
    /** A format version or flag this Flowguard does not read (and that is not from a newer release). */
    UNSUPPORTED_VERSION,
    /** The JSON metadata is malformed, incomplete or inconsistent. */
    CORRUPT_METADATA,
    /** The parameter values are not all finite. */
    CORRUPT_PARAMETERS,
    /** The flow spec, the parameter layout and the parameter count do not agree. */
    SHAPE_MISMATCH,
    /** The declared sizes exceed this reader's limits. */
    TOO_LARGE
  }

  private final Kind kind;

  public ModelFormatException(Kind kind, String message) {
    super(Objects.requireNonNull(kind, "kind") + ": " + message);
    this.kind = kind;
  }

  public ModelFormatException(Kind kind, String message, Throwable cause) {
    super(Objects.requireNonNull(kind, "kind") + ": " + message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
