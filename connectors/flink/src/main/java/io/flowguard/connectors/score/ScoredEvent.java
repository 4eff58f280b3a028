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
    boolean warmingUp) {

  private static final Attribution[] NO_EXPLANATION = new Attribution[0];

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
    if (featureNames.length != features.length) {
      throw new IllegalArgumentException(
          featureNames.length + " feature names but " + features.length + " values");
    }
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
        && warmingUp == s.warmingUp;
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
