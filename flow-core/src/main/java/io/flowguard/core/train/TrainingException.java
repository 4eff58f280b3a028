package io.flowguard.core.train;

/** Training could not continue (e.g. repeated non-finite losses); the message says what to try. */
public final class TrainingException extends RuntimeException {
  public TrainingException(String message) {
    super(message);
  }
}
