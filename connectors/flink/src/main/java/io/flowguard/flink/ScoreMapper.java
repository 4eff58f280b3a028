package io.flowguard.flink;

import java.io.Serializable;

/**
 * Builds the scoring operator's output record from an event and its score, so that a pipeline can emit
 * its own output type directly (the Kafka job emits its JSON-ready {@code ScoredEvent}) instead of a
 * {@link Scored} plus a map. The default is {@link Scored}.
 *
 * @param <T> the event type
 * @param <S> the output type
 */
@FunctionalInterface
public interface ScoreMapper<T, S> extends Serializable {

  /** The output for {@code event}; {@code score} is valid during this call only. */
  S map(T event, ScoreView score) throws Exception;
}
