package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.flink.EventTime;
import io.flowguard.flink.FeatureExtractor;
import io.flowguard.flink.ModelSelector;
import io.flowguard.flink.RejectionMapper;
import io.flowguard.flink.ScoreMapper;
import io.flowguard.flink.ScoreView;

/**
 * The pieces with which the Kafka job uses {@link io.flowguard.flink.FlowguardScoring} on decoded
 * events ({@link RawEvent}, from the JSON or CSV codecs): features resolved by name or position under
 * the decoder's rules, the model named by the event's {@code model} field, {@link ScoredEvent}s out
 * (the scores topic's JSON) and {@link DeadLetter}s with the original bytes.
 */
public final class RawEventScoring {

  /** The context arrays of an event without a raw context (shared, never modified). */
  private static final double[] NO_CONTEXT = new double[0];

  private RawEventScoring() {}

  /**
   * Features by name (any order; missing names rejected, unknown ones too unless the decoder ignores
   * them) or by position.
   */
  public static FeatureExtractor<RawEvent> features(EventDecoder decoder) {
    return new RawEventFeatures(decoder.ignoresUnknownFeatures());
  }

  /** The event's {@code model} field. */
  public static ModelSelector<RawEvent> modelField() {
    return RawEvent::model;
  }

  /** The event's {@code ts} (or its Kafka record's timestamp), for episode records. */
  public static EventTime<RawEvent> eventTimes() {
    return RawEvent::eventTime;
  }

  /** Scored events as the scores topic carries them. */
  public static ScoreMapper<RawEvent, ScoredEvent> scoredEvents() {
    return RawEventScoring::scoredEvent;
  }

  /** Dead letters carrying the event's original bytes, stamped by the decoder's clock. */
  public static RejectionMapper<RawEvent, DeadLetter> deadLetters(EventDecoder decoder) {
    return new RawEventDeadLetters(decoder);
  }

  private static ScoredEvent scoredEvent(RawEvent raw, ScoreView s) {
    return new ScoredEvent(raw.key(), s.model(), s.modelVersionText(), raw.eventTime(),
        s.logDensity(), s.nll(), s.tailProbability(), s.anomaly(), s.typicality(),
        s.featureNameArray(), s.features().clone(), s.explanation(), s.explanationNote(),
        s.timeAware() ? s.historyEvents() : ScoredEvent.NOT_TIME_AWARE, s.warmingUp(), s.contextLayout(),
        s.carriesRawContext() ? s.rawHistory() : NO_CONTEXT, s.carriesRawContext() ? s.contextFields() : NO_CONTEXT);
  }
}
