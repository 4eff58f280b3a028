package io.flowguard.job.retrain;

import java.util.Arrays;
import java.util.Objects;

/**
 * One normal event kept for retraining: its entity key (for the per-key cap), event time (for the
 * data window in the model's lineage and a time-aware model's time features), raw features in the
 * reservoir's schema order and, for a time-aware model, the raw context it was scored against.
 *
 * <p>A record with arrays, so that Flink keeps it in state as a POJO (no Kryo). The arrays are not
 * copied; callers must not modify them. The two context fields were added after Flowguard 0.1:
 * rows restored from its savepoints have none (Flink's POJO schema evolution passes null, read as
 * empty), which is what a row of a model without context has.
 *
 * <p>Serialized size: about {@code 30 + key + 8 d} bytes, plus {@code 8 (j d + f)} for a row with a
 * context of j previous events and f declared fields (j is the model's window once its key has
 * warmed up): e.g. 110 bytes for d = 10 without context, 1.4 kB with k = 16 (docs/retraining.md).
 *
 * @param key the entity key of the event
 * @param eventTime the event time, epoch ms
 * @param features the raw features, in the order of {@link ReservoirMeta#featureNames()}
 * @param contextHistory the key's previous raw feature vectors the event was scored against, newest
 *     first (a multiple of the feature count, at most the model's window of them); empty without context
 * @param contextFields the event's declared context fields; empty without context
 */
public record ReservoirRow(String key, long eventTime, double[] features, double[] contextHistory,
    double[] contextFields) {

  private static final double[] NONE = new double[0];

  public ReservoirRow {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(features, "features");
    contextHistory = contextHistory == null ? NONE : contextHistory;
    contextFields = contextFields == null ? NONE : contextFields;
  }

  /** A row without a context (a model that scores events alone). */
  public ReservoirRow(String key, long eventTime, double[] features) {
    this(key, eventTime, features, NONE, NONE);
  }

  /** Previous events in {@link #contextHistory}. */
  public int historyEvents() {
    return features.length == 0 ? 0 : contextHistory.length / features.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReservoirRow r && key.equals(r.key) && eventTime == r.eventTime
        && Arrays.equals(features, r.features) && Arrays.equals(contextHistory, r.contextHistory)
        && Arrays.equals(contextFields, r.contextFields);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, eventTime, Arrays.hashCode(features), Arrays.hashCode(contextHistory),
        Arrays.hashCode(contextFields));
  }

  @Override
  public String toString() {
    return "ReservoirRow[" + key + ", " + eventTime + ", " + Arrays.toString(features)
        + (contextHistory.length + contextFields.length == 0 ? "" : ", context "
        + Arrays.toString(contextHistory) + " " + Arrays.toString(contextFields)) + "]";
  }
}
