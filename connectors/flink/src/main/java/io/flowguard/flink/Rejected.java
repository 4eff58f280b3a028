package io.flowguard.flink;

import io.flowguard.connectors.event.DeadLetterReason;
import java.util.Objects;

/**
 * An event that {@link FlowguardScoring} could not score, with the reason: the side output where bad
 * input goes instead of failing the job. Nothing is lost: every event comes out either scored or here.
 *
 * @param event the event as it arrived
 * @param reason why, as a code (the same vocabulary as the Kafka job's dead letters)
 * @param message what was wrong, for a person
 * @param model the model the event asked for; empty if it could not be determined
 * @param <T> the event type
 */
public record Rejected<T>(T event, DeadLetterReason reason, String message, String model) {

  public Rejected {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(model, "model");
  }
}
