package io.flowguard.flink;

import io.flowguard.connectors.event.DeadLetterReason;
import java.io.Serializable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.types.Row;

/**
 * How the scoring operator reads a model's features from the user's event type {@code T}.
 *
 * <p>An extractor is {@linkplain #bind bound} once per model version and operator instance to the
 * model's feature names (its schema, in model order): name resolution happens there, never per event.
 * The bound extractor then writes one event's features into a reused array in model order. Built-in
 * extractors read features by name from a POJO or record ({@link #pojo}), a {@code Map} ({@link
 * #map}), a Flink {@link Row} ({@link #row}), or take a {@code double[]} already in model order
 * ({@link #array}).
 *
 * <p>Bad input is never a failure: a missing feature, a null, a non-numeric or non-finite value, or an
 * exception thrown by user code rejects that one event with a reason (a {@link Rejected} side output,
 * the job's dead letter) and a metric.
 *
 * @param <T> the event type
 */
@FunctionalInterface
public interface FeatureExtractor<T> extends Serializable {

  /**
   * Prepares extraction for one model's schema.
   *
   * @param featureNames the model's feature names, in model order
   * @throws FeatureException if this event type cannot provide the schema at all (e.g. a POJO without
   *     a field of that name): every event of that model is then rejected with this reason
   */
  Bound<T> bind(List<String> featureNames) throws FeatureException;

  /** An extractor bound to one schema; used by one thread. */
  @FunctionalInterface
  interface Bound<T> {
    /**
     * Writes the event's features in model order into {@code out} (length = the schema's size).
     *
     * @throws FeatureException when this event cannot be scored (missing or non-finite value, ...)
     */
    void extract(T event, double[] out) throws FeatureException;
  }

  /**
   * Features in model order, as the function returns them. A wrong length is rejected as {@link
   * DeadLetterReason#WRONG_FEATURE_COUNT}, a NaN or infinite value as {@link
   * DeadLetterReason#NON_FINITE_FEATURE}.
   */
  static <T> FeatureExtractor<T> array(SerializableFunction<T, double[]> features) {
    Objects.requireNonNull(features, "features");
    return names -> (event, out) -> {
      double[] values;
      try {
        values = features.apply(event);
      } catch (Exception e) {
        throw new FeatureException(DeadLetterReason.EXTRACTOR_FAILED,
            "the feature function threw " + e);
      }
      if (values == null || values.length != out.length) {
        throw new FeatureException(DeadLetterReason.WRONG_FEATURE_COUNT, "the feature function gave "
            + (values == null ? "null" : values.length + " values") + ", the model has "
            + out.length + " features " + names);
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = Checks.finite(values[i], names.get(i));
      }
    };
  }

  /**
   * Features by name from a map (e.g. a decoded JSON object): every schema name must map to a finite
   * number; other keys are ignored (an event usually carries more than its features).
   */
  static <T extends Map<String, ?>> FeatureExtractor<T> map() {
    return names -> {
      String[] keys = names.toArray(new String[0]);
      return (event, out) -> {
        for (int i = 0; i < keys.length; i++) {
          out[i] = Checks.number(event.get(keys[i]), keys[i]);
        }
      };
    };
  }

  /**
   * Features by name from a {@link Row}. With {@code fieldNames} (the row type's field names, in
   * position order, e.g. from its {@code RowTypeInfo}) the names are resolved to positions once; without
   * them the row must be in named mode ({@code Row.withNames()}).
   */
  static FeatureExtractor<Row> row(String... fieldNames) {
    String[] fields = fieldNames.clone();
    return names -> {
      if (fields.length == 0) {
        String[] keys = names.toArray(new String[0]);
        return (row, out) -> {
          for (int i = 0; i < keys.length; i++) {
            Object v;
            try {
              v = row.getField(keys[i]);
            } catch (IllegalArgumentException e) {
              throw new FeatureException(DeadLetterReason.MISSING_FEATURE,
                  "the row has no field '" + keys[i] + "'");
            }
            out[i] = Checks.number(v, keys[i]);
          }
        };
      }
      int[] positions = new int[names.size()];
      List<String> fieldList = Arrays.asList(fields);
      for (int i = 0; i < positions.length; i++) {
        positions[i] = fieldList.indexOf(names.get(i));
        if (positions[i] < 0) {
          throw new FeatureException(DeadLetterReason.MISSING_FEATURE, "the row has no field '"
              + names.get(i) + "' (fields " + fieldList + ", model features " + names + ")");
        }
      }
      return (row, out) -> {
        for (int i = 0; i < positions.length; i++) {
          out[i] = Checks.number(
              positions[i] < row.getArity() ? row.getField(positions[i]) : null, names.get(i));
        }
      };
    };
  }

  /**
   * Features by name from a POJO or record of type {@code type}: for each feature {@code f}, a record
   * component {@code f}, a public getter {@code getF()}/{@code isF()}/{@code f()}, or a public field
   * {@code f}, of a numeric type (primitive or boxed). Accessors are resolved once per model version.
   */
  static <T> FeatureExtractor<T> pojo(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return new PojoFeatures<>(type);
  }

  /** A {@link java.util.function.Function} that Flink can ship with the job. */
  @FunctionalInterface
  interface SerializableFunction<A, B> extends Serializable {
    B apply(A a) throws Exception;
  }

  /** Value checks shared by the built-in extractors. */
  final class Checks {
    private Checks() {}

    static double finite(double v, String name) throws FeatureException {
      if (!Double.isFinite(v)) {
        throw new FeatureException(DeadLetterReason.NON_FINITE_FEATURE,
            "feature '" + name + "' is " + v);
      }
      return v;
    }

    static double number(Object v, String name) throws FeatureException {
      if (v == null) {
        throw new FeatureException(DeadLetterReason.MISSING_FEATURE,
            "feature '" + name + "' is missing or null");
      }
      if (!(v instanceof Number n)) {
        throw new FeatureException(DeadLetterReason.NON_NUMERIC_FEATURE,
            "feature '" + name + "' is a " + v.getClass().getSimpleName() + ", not a number");
      }
      return finite(n.doubleValue(), name);
    }
  }

  /** {@link #pojo}: accessors found by reflection once per schema, invoked through method handles. */
  final class PojoFeatures<T> implements FeatureExtractor<T> {
    private static final long serialVersionUID = 1L;
    private final Class<T> type;

    PojoFeatures(Class<T> type) {
      this.type = type;
    }

    @Override
    public Bound<T> bind(List<String> featureNames) throws FeatureException {
      int d = featureNames.size();
      MethodHandle[] getters = new MethodHandle[d];
      List<String> missing = new ArrayList<>();
      for (int i = 0; i < d; i++) {
        getters[i] = accessor(featureNames.get(i));
        if (getters[i] == null) {
          missing.add(featureNames.get(i));
        }
      }
      if (!missing.isEmpty()) {
        throw new FeatureException(DeadLetterReason.MISSING_FEATURE, type.getSimpleName()
            + " has no numeric field, record component or getter for feature(s) " + missing
            + " (model features " + featureNames + ")");
      }
      String[] names = featureNames.toArray(new String[0]);
      return (event, out) -> {
        for (int i = 0; i < d; i++) {
          Object v;
          try {
            v = getters[i].invoke(event);
          } catch (Throwable e) {
            throw new FeatureException(DeadLetterReason.EXTRACTOR_FAILED,
                "reading feature '" + names[i] + "' of " + type.getSimpleName() + " threw " + e);
          }
          out[i] = Checks.number(v, names[i]);
        }
      };
    }

    /** A handle (T) -> Object for the feature, or null if the type has none. */
    private MethodHandle accessor(String name) {
      MethodHandles.Lookup lookup = MethodHandles.publicLookup();
      MethodType asObject = MethodType.methodType(Object.class, Object.class);
      try {
        if (type.isRecord()) {
          for (RecordComponent c : type.getRecordComponents()) {
            if (c.getName().equals(name) && numeric(c.getType())
                && Modifier.isPublic(type.getModifiers())) {
              return lookup.unreflect(c.getAccessor()).asType(asObject);
            }
          }
        }
        String cap = name.isEmpty() ? name : Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (String m : new String[] {"get" + cap, "is" + cap, name}) {
          try {
            Method method = type.getMethod(m);
            if (numeric(method.getReturnType())) {
              return lookup.unreflect(method).asType(asObject);
            }
          } catch (NoSuchMethodException e) {
            // try the next spelling
          }
        }
        try {
          Field field = type.getField(name);
          if (numeric(field.getType()) && !Modifier.isStatic(field.getModifiers())) {
            return lookup.unreflectGetter(field).asType(asObject);
          }
        } catch (NoSuchFieldException e) {
          return null;
        }
      } catch (IllegalAccessException e) {
        return null;
      }
      return null;
    }

    private static boolean numeric(Class<?> c) {
      return c == double.class || c == float.class || c == long.class || c == int.class
          || c == short.class || c == byte.class || Number.class.isAssignableFrom(c);
    }
  }
}
