package io.flowguard.flink;

import io.flowguard.connectors.event.DeadLetterReason;
import java.io.Serializable;

/**
 * Builds the record of the rejected-events side output, so that a pipeline can emit its own dead-letter
 * type directly (the Kafka job emits dead letters carrying the original bytes). The default is {@link
 * Rejected}.
 *
 * @param <T> the event type
 * @param <R> the side output's type
 */
@FunctionalInterface
public interface RejectionMapper<T, R> extends Serializable {

  /**
   * The side-output record for an event that could not be scored.
   *
   * @param model the model the event asked for; empty if it could not be determined
   */
  R map(T event, DeadLetterReason reason, String message, String model);
}
