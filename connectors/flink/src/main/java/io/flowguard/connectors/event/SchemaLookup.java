package io.flowguard.connectors.event;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The feature names (in schema order) of a model, by model name. The codecs see models only through
 * this, so they do not depend on the model classes; the Flink job backs it with its broadcast models.
 */
@FunctionalInterface
public interface SchemaLookup {

  /** The model's feature names in schema order, or empty if no such model is known. */
  Optional<List<String>> featureNames(String modelName);

  /** A fixed lookup, for tests and tools. */
  static SchemaLookup of(Map<String, List<String>> schemas) {
    Map<String, List<String>> copy = Map.copyOf(schemas);
    return name -> Optional.ofNullable(copy.get(name));
  }
}
