package io.flowguard.connectors.score;

import java.util.Arrays;
import java.util.Objects;

/**
 * An event with its scores, as written to the scores topic (see {@link ScoredEventJson}). Alerts are
 * the scored events with {@code anomaly} or a typicality alarm set.
 *
 * <p>Arrays rather than lists so that Flink serializes this record as a POJO (no Kryo). They are not
 * copied: the feature names are the model's schema array, shared by every event it scores, and
 * callers must not modify any of them.
 *
 * @param key the entity key
 * @param model the model name
 * @param modelVersion the version of the model that scored the event
 * @param eventTime event time, epoch milliseconds
 * @param logDensity log p(x) of the raw features
 * @param nll the negative log-density, -logDensity
 * @param tailProbability the estimated P(NLL >= nll) under normal data
 * @param anomaly whether tailProbability is below the configured false-alarm rate
 * @param typicality one result per configured window size, in configuration order
 * @param featureNames the model's feature names, in schema order
 * @param features the event's feature values, parallel to featureNames
 * @param explanation the top features explaining the event (empty unless explanations are on and the
 *     event is an anomaly)
 * @param explanationNote what the explanation's features alone do not say (a joint anomaly, or why there
 *     is none); usually empty
 * @param historyEvents a time-aware model's count of the key's previous events the score was conditioned
 *     on; {@link #NOT_TIME_AWARE} for a model without context
 * @param warmingUp whether a time-aware model had fewer previous events of the key than its window
 * @param contextLayout the layout of the raw context carried ({@code KeyContext.schemaOf} of the model's
 *     features, context fields and window), 0 when none is carried
 * @param contextHistory the key's previous raw feature vectors the event was scored against, newest first
 *     ({@code historyEvents x features} values), when the job carries raw contexts to its retraining (a
 *     time-aware model with retraining on); empty otherwise. Never written to the scores topic.
 * @param contextFields the event's declared context fields, when a raw context is carried; empty otherwise.
 *     Never written to the scores topic.
 */
public record ScoredEvent(
    String key,
    String model,
    String modelVersion,
    long eventTime,
    double logDensity,
    double nll,
    double tailProbability,
    boolean anomaly,
    TypicalityResult[] typicality,
    String[] featureNames,
    double[] features,
    Attribution[] explanation,
    String explanationNote,
    int historyEvents,
    boolean warmingUp,
    int contextLayout,
    double[] contextHistory,
    double[] contextFields) {

  private static final Attribution[] NO_EXPLANATION = new Attribution[0];
  /** The empty context arrays of events that carry none (shared: never modified). */
  private static final double[] NO_CONTEXT = new double[0];

  /** A scored event that carries no raw context (see {@link #contextHistory}). */
  public ScoredEvent(String key, String model, String modelVersion, long eventTime, double logDensity,
      double nll, double tailProbability, boolean anomaly, TypicalityResult[] typicality,
      String[] featureNames, double[] features, Attribution[] explanation, String explanationNote,
      int historyEvents, boolean warmingUp) {
    this(key, model, modelVersion, eventTime, logDensity, nll, tailProbability, anomaly, typicality,
        featureNames, features, explanation, explanationNote, historyEvents, warmingUp, 0, NO_CONTEXT,
        NO_CONTEXT);
  }

  /** {@link #historyEvents} of an event scored by a model without context. */
  public static final int NOT_TIME_AWARE = -1;

  /** A scored event of a model without context. */
  public ScoredEvent(String key, String model, String modelVersion, long eventTime, double logDensity,
      double nll, double tailProbability, boolean anomaly, TypicalityResult[] typicality,
      String[] featureNames, double[] features, Attribution[] explanation, String explanationNote) {
    this(key, model, modelVersion, eventTime, logDensity, nll, tailProbability, anomaly, typicality,
        featureNames, features, explanation, explanationNote, NOT_TIME_AWARE, false);
  }

  /** A scored event without an explanation. */
  public ScoredEvent(String key, String model, String modelVersion, long eventTime, double logDensity,
      double nll, double tailProbability, boolean anomaly, TypicalityResult[] typicality,
      String[] featureNames, double[] features) {
    this(key, model, modelVersion, eventTime, logDensity, nll, tailProbability, anomaly, typicality,
        featureNames, features, NO_EXPLANATION, "");
  }

  public ScoredEvent {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(modelVersion, "modelVersion");
    Objects.requireNonNull(typicality, "typicality");
    Objects.requireNonNull(featureNames, "featureNames");
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(explanation, "explanation");
    Objects.requireNonNull(explanationNote, "explanationNote");
    Objects.requireNonNull(contextHistory, "contextHistory");
    Objects.requireNonNull(contextFields, "contextFields");
    if (featureNames.length != features.length) {
      throw new IllegalArgumentException(
          featureNames.length + " feature names but " + features.length + " values");
    }
  }

  /** Whether the event carries the raw context it was scored against (for the job's retraining). */
  public boolean carriesContext() {
    return contextLayout != 0;
  }

  /** Whether any typicality window raised an alarm. */
  public boolean typicalityAlarm() {
    for (TypicalityResult t : typicality) {
      if (t.alarm()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScoredEvent s
        && key.equals(s.key)
        && model.equals(s.model)
        && modelVersion.equals(s.modelVersion)
        && eventTime == s.eventTime
        && Double.compare(logDensity, s.logDensity) == 0
        && Double.compare(nll, s.nll) == 0
        && Double.compare(tailProbability, s.tailProbability) == 0
        && anomaly == s.anomaly
        && Arrays.equals(typicality, s.typicality)
        && Arrays.equals(featureNames, s.featureNames)
        && Arrays.equals(features, s.features)
        && Arrays.equals(explanation, s.explanation)
        && explanationNote.equals(s.explanationNote)
        && historyEvents == s.historyEvents
        && warmingUp == s.warmingUp
        && contextLayout == s.contextLayout
        && Arrays.equals(contextHistory, s.contextHistory)
        && Arrays.equals(contextFields, s.contextFields);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, model, modelVersion, eventTime, logDensity, nll, tailProbability,
        anomaly, Arrays.hashCode(typicality), Arrays.hashCode(featureNames),
        Arrays.hashCode(features));
  }

  @Override
  public String toString() {
    return new String(ScoredEventJson.toJson(this), java.nio.charset.StandardCharsets.UTF_8);
  }
}
