package io.flowguard.job.retrain;

import java.util.Arrays;
import java.util.Objects;

/**
 * One normal event kept for retraining: its entity key (for the per-key cap), event time (for the
 * data window in the model's lineage) and raw features in the reservoir's schema order.
 *
 * <p>A record with an array, so that Flink keeps it in state as a POJO (no Kryo). The array is not
 * copied; callers must not modify it.
 *
 * @param key the entity key of the event
 * @param eventTime the event time, epoch ms
 * @param features the raw features, in the order of {@link ReservoirMeta#featureNames()}
 */
public record ReservoirRow(String key, long eventTime, double[] features) {

  public ReservoirRow {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(features, "features");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReservoirRow r && key.equals(r.key) && eventTime == r.eventTime
        && Arrays.equals(features, r.features);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, eventTime, Arrays.hashCode(features));
  }

  @Override
  public String toString() {
    return "ReservoirRow[" + key + ", " + eventTime + ", " + Arrays.toString(features) + "]";
  }
}
