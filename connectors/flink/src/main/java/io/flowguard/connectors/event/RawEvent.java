package io.flowguard.connectors.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * A syntactically valid event whose features are not yet matched against a model's schema: the output
 * of {@link EventDecoder#decode}. The job can hold raw events until their model arrives and then
 * {@link EventDecoder#resolve resolve} them; they keep the original bytes so that they can still be
 * dead-lettered exactly as received.
 *
 * <p>Features come in one of two shapes, told apart by {@link #byName()}: by name ({@code
 * featureNames[i]} has value {@code values[i]}, in the record's order) or by position ({@code
 * featureNames} is empty and {@code values} is in the model's schema order). Every value is finite:
 * non-numeric and non-finite values are rejected while decoding, where the feature can be named.
 *
 * <p>Arrays rather than lists so that Flink serializes this record as a POJO (no Kryo); they are copied
 * on construction and returned without a copy, so callers must not modify them.
 *
 * @param key the entity key; never empty
 * @param model the model name
 * @param eventTime event time in epoch milliseconds
 * @param byName whether the features were given by name
 * @param featureNames feature names in record order when {@code byName}; empty otherwise
 * @param values feature values, parallel to {@code featureNames} when {@code byName}
 * @param original the record's bytes exactly as received
 * @param origin source coordinates
 */
public record RawEvent(
    String key,
    String model,
    long eventTime,
    boolean byName,
    String[] featureNames,
    double[] values,
    byte[] original,
    Origin origin) {

  private static final String[] NO_NAMES = new String[0];

  public RawEvent {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(origin, "origin");
    featureNames = Objects.requireNonNull(featureNames, "featureNames").clone();
    values = Objects.requireNonNull(values, "values").clone();
    original = Objects.requireNonNull(original, "original").clone();
    if (byName && featureNames.length != values.length) {
      throw new IllegalArgumentException(
          featureNames.length + " feature names but " + values.length + " values");
    }
    if (!byName && featureNames.length != 0) {
      throw new IllegalArgumentException("positional features carry no names");
    }
  }

  /** Features given by name; {@code names[i]} has value {@code values[i]}. */
  public static RawEvent named(
      String key, String model, long eventTime, String[] names, double[] values, byte[] original,
      Origin origin) {
    return new RawEvent(key, model, eventTime, true, names, values, original, origin);
  }

  /** Features given by position, in the model's schema order. */
  public static RawEvent positional(
      String key, String model, long eventTime, double[] values, byte[] original, Origin origin) {
    return new RawEvent(key, model, eventTime, false, NO_NAMES, values, original, origin);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawEvent r
        && key.equals(r.key)
        && model.equals(r.model)
        && eventTime == r.eventTime
        && byName == r.byName
        && Arrays.equals(featureNames, r.featureNames)
        && Arrays.equals(values, r.values)
        && Arrays.equals(original, r.original)
        && origin.equals(r.origin);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, model, eventTime, byName, Arrays.hashCode(featureNames),
        Arrays.hashCode(values), Arrays.hashCode(original), origin);
  }

  @Override
  public String toString() {
    return "RawEvent[key=" + key + ", model=" + model + ", eventTime=" + eventTime
        + (byName ? ", features=" + Arrays.toString(featureNames) + "=" : ", values=")
        + Arrays.toString(values) + ", " + original.length + " bytes, origin=" + origin + "]";
  }
}
