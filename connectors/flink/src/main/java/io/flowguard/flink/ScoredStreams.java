package io.flowguard.flink;

import java.util.Objects;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * What {@link FlowguardScoring} adds to a pipeline: the scored events and the events it could not
 * score. Every input event comes out in exactly one of the two.
 *
 * @param scores one record per scored event, in each key's arrival order (the scoring operator: set
 *     its parallelism or slot sharing here)
 * @param rejected the rejected events, with their reasons (the operator's side output)
 * @param models the model stream the operator reads (to connect other operators to the same models)
 * @param episodes typicality episodes: one record when a key's window enters the alarm state, updates
 *     while it lasts, one when it clears (the alerts an operator acts on, instead of every alarmed event)
 * @param modelEvents what the operator decided about a model that an operator should hear of: a
 *     {@code REFUSED} record when a published version's features differ from the active version's and it
 *     does not declare a schema change (one record per refusal, whatever the parallelism)
 * @param <S> the score record type ({@link Scored} by default)
 * @param <R> the rejection record type ({@link Rejected} by default)
 */
public record ScoredStreams<S, R>(
    SingleOutputStreamOperator<S> scores,
    DataStream<R> rejected,
    DataStream<io.flowguard.connectors.model.ModelRecord> models,
    DataStream<io.flowguard.connectors.score.TypicalityEpisode> episodes,
    DataStream<io.flowguard.connectors.model.ModelEvent> modelEvents) {

  public ScoredStreams {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(rejected, "rejected");
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(episodes, "episodes");
    Objects.requireNonNull(modelEvents, "modelEvents");
  }
}
