package io.flowguard.connectors.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * A valid event, ready to score: its features are finite and in the feature order of its model.
 *
 * <p>The feature array is copied on construction and returned without a copy: scoring reads it once
 * per event, and a copy per read would be the only allocation on that path. Callers must not modify
 * it.
 *
 * @param key the entity key (typicality windows are kept per key); never empty
 * @param model the model name that scores this event ({@link #DEFAULT_MODEL} unless the record names one)
 * @param eventTime event time in epoch milliseconds (the record's {@code ts}, else its Kafka timestamp)
 * @param features feature values in the model's schema order
 * @param origin source coordinates, for dead-lettering at a later stage
 */
public record Event(String key, String model, long eventTime, double[] features, Origin origin) {

  /** The model name used when a record does not name one. */
  public static final String DEFAULT_MODEL = "default";

  public Event {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(origin, "origin");
    features = Objects.requireNonNull(features, "features").clone();
  }

  /** The number of features. */
  public int featureCount() {
    return features.length;
  }

  // Records compare arrays by reference; events are values, so compare contents.
  @Override
  public boolean equals(Object o) {
    return o instanceof Event e
        && key.equals(e.key)
        && model.equals(e.model)
        && eventTime == e.eventTime
        && Arrays.equals(features, e.features)
        && origin.equals(e.origin);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, model, eventTime, Arrays.hashCode(features), origin);
  }

  @Override
  public String toString() {
    return "Event[key=" + key + ", model=" + model + ", eventTime=" + eventTime
        + ", features=" + Arrays.toString(features) + ", origin=" + origin + "]";
  }
}
