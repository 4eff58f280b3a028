package io.flowguard.flink;

import io.flowguard.connectors.event.DeadLetterReason;
import java.util.Objects;

/**
 * Why an event's features could not be extracted for a model: thrown by a {@link
 * FeatureExtractor.Bound} and turned by the scoring operator into a {@link Rejected} event (or the
 * job's dead letter) with this reason and message. Carries no stack trace: it describes bad input, not a
 * bug, and is cheap to throw on a hot path.
 */
public final class FeatureException extends Exception {

  private static final long serialVersionUID = 1L;

  private final DeadLetterReason reason;

  public FeatureException(DeadLetterReason reason, String message) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The reason code, e.g. {@link DeadLetterReason#MISSING_FEATURE}. */
  public DeadLetterReason reason() {
    return reason;
  }
}
