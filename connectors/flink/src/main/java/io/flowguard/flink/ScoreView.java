package io.flowguard.flink;

import io.flowguard.connectors.score.Attribution;
import io.flowguard.connectors.score.TypicalityResult;
import java.util.List;

/**
 * One scored event as the scoring operator sees it, handed to a {@link ScoreMapper}. The view and its
 * arrays are reused for the next event: read them, copy what you keep, never keep the view.
 */
public interface ScoreView {

  /** The entity key. */
  String key();

  /** The name of the model that scored the event. */
  String model();

  /** The model's version. */
  int modelVersion();

  /** The model's version as text (the same string object for every event of that version). */
  String modelVersionText();

  /** The model's feature names, in model order (shared; do not modify). */
  List<String> featureNames();

  /** The same names as an array (shared; do not modify). */
  String[] featureNameArray();

  /** The event's features in model order (reused for the next event: copy to keep). */
  double[] features();

  double logDensity();

  double nll();

  double tailProbability();

  boolean anomaly();

  /** Whether the model is time-aware: it scored the event given its key's previous events. */
  default boolean timeAware() {
    return false;
  }

  /**
   * A time-aware model's count of the key's previous events the score was conditioned on (the model's
   * window once the key has warmed up); 0 otherwise.
   */
  default int historyEvents() {
    return 0;
  }

  /** Whether a time-aware model scored the event with fewer previous events than its window. */
  default boolean warmingUp() {
    return false;
  }

  /**
   * Whether the operator carries the event's raw context ({@code ScoringSettings.withRawContexts}, on in the
   * Kafka job while retraining is enabled) and the model is time-aware: then {@link #rawHistory}, {@link
   * #contextFields} and {@link #contextLayout} describe what the event was scored against.
   */
  default boolean carriesRawContext() {
    return false;
  }

  /**
   * With {@link #carriesRawContext}: the key's previous raw feature vectors the event was scored against,
   * newest first ({@link #historyEvents} x features values, after the history rules), a fresh array; else empty.
   */
  default double[] rawHistory() {
    return new double[0];
  }

  /** With {@link #carriesRawContext}: the event's declared context fields, a fresh array; else empty. */
  default double[] contextFields() {
    return new double[0];
  }

  /**
   * With {@link #carriesRawContext}: a fingerprint of the model's context layout (its features, context fields
   * and window), so that contexts of different layouts are never mixed; 0 otherwise.
   */
  default int contextLayout() {
    return 0;
  }

  /** One result per configured typicality window, in configuration order (a fresh array). */
  TypicalityResult[] typicality();

  /**
   * The event's explanation: its top features with their values, typical values and contributions (see
   * {@code docs/explanations.md}); empty unless explanations are on and the event is an anomaly (or every
   * event is explained). A fresh array.
   */
  Attribution[] explanation();

  /** What the explanation's features alone do not say (a joint anomaly, or why none); often empty. */
  String explanationNote();

  /** The explanation as flow-core computed it, if one was asked for. */
  java.util.Optional<io.flowguard.core.explain.Explanation> fullExplanation();
}
