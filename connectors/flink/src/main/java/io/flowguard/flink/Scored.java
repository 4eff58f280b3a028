package io.flowguard.flink;

import io.flowguard.connectors.score.Attribution;
import io.flowguard.connectors.score.TypicalityResult;
import java.util.Arrays;
import java.util.Objects;

/**
 * A user's event with its scores: what {@link FlowguardScoring} emits for every event it could score.
 * Flink serializes it as a POJO with the event's own serializer (no Kryo).
 *
 * @param event the event as it arrived
 * @param key the entity key (typicality windows and held events are per key)
 * @param model the name of the model that scored it
 * @param modelVersion that model's version
 * @param logDensity log p(x) of the raw features, in nats
 * @param nll the negative log-density, -logDensity
 * @param tailProbability the calibrated probability that a normal event scores at least this badly
 * @param anomaly whether tailProbability is below the configured false-alarm rate
 * @param typicality one result per configured typicality window, in configuration order
 * @param explanation the top features explaining the event (see docs/explanations.md); empty unless
 *     explanations are on ({@code FlowguardScoring.explain}) and the event is an anomaly
 * @param explanationNote what the explanation's features alone do not say (a joint anomaly, or why there
 *     is none); usually empty
 * @param historyEvents a time-aware model's count of the key's previous events the score was conditioned
 *     on; -1 for a model that scores events alone
 * @param warmingUp whether a time-aware model had fewer previous events than its window
 * @param <T> the event type
 */
public record Scored<T>(
    T event,
    String key,
    String model,
    int modelVersion,
    double logDensity,
    double nll,
    double tailProbability,
    boolean anomaly,
    TypicalityResult[] typicality,
    Attribution[] explanation,
    String explanationNote,
    int historyEvents,
    boolean warmingUp) {

  /** A scored event of a model that scores events alone. */
  public Scored(T event, String key, String model, int modelVersion, double logDensity, double nll,
                double tailProbability, boolean anomaly, TypicalityResult[] typicality, Attribution[] explanation,
                String explanationNote) {
    this(event, key, model, modelVersion, logDensity, nll, tailProbability, anomaly, typicality, explanation,
        explanationNote, -1, false);
  }

  public Scored {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(typicality, "typicality");
    Objects.requireNonNull(explanation, "explanation");
    Objects.requireNonNull(explanationNote, "explanationNote");
  }

  /** The scored event of a score view (the default {@link ScoreMapper}). */
  public static <T> Scored<T> of(T event, ScoreView s) {
    return new Scored<>(event, s.key(), s.model(), s.modelVersion(), s.logDensity(), s.nll(),
        s.tailProbability(), s.anomaly(), s.typicality(), s.explanation(), s.explanationNote(),
        s.timeAware() ? s.historyEvents() : -1, s.warmingUp());
  }

  /** Whether any typicality window of the event's key alarms. */
  public boolean typicalityAlarm() {
    for (TypicalityResult r : typicality) {
      if (r.alarm()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Scored<?> s
        && Objects.equals(event, s.event)
        && key.equals(s.key)
        && model.equals(s.model)
        && modelVersion == s.modelVersion
        && Double.compare(logDensity, s.logDensity) == 0
        && Double.compare(nll, s.nll) == 0
        && Double.compare(tailProbability, s.tailProbability) == 0
        && anomaly == s.anomaly
        && Arrays.equals(typicality, s.typicality)
        && Arrays.equals(explanation, s.explanation)
        && explanationNote.equals(s.explanationNote)
        && historyEvents == s.historyEvents
        && warmingUp == s.warmingUp;
  }

  @Override
  public int hashCode() {
    return Objects.hash(event, key, model, modelVersion, logDensity, anomaly);
  }

  @Override
  public String toString() {
    return "Scored[" + model + " v" + modelVersion + ", key=" + key + ", nll=" + nll + ", p="
        + tailProbability + (anomaly ? ", ANOMALY" : "") + ", event=" + event + "]";
  }
}
