package io.flowguard.flink;

import java.io.Serializable;
import java.util.Objects;

/**
 * Which model scores an event: one fixed model for every event ({@link #fixed}), or a model named by
 * the event itself (a lambda reading a field), as the Kafka job routes by the event's {@code model}
 * field. A selector that throws or returns null or an empty name rejects that event ({@link
 * io.flowguard.connectors.event.DeadLetterReason#INVALID_FIELD}); it never fails the job.
 *
 * @param <T> the event type
 */
@FunctionalInterface
public interface ModelSelector<T> extends Serializable {

  /** The name of the model that scores {@code event}. */
  String modelOf(T event) throws Exception;

  /** Every event is scored by the model called {@code name}. */
  static <T> ModelSelector<T> fixed(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("the model name must not be empty");
    }
    return new Fixed<>(name);
  }

  /** A fixed selector; a named class so that the builder can tell a fixed model from a routed one. */
  record Fixed<T>(String name) implements ModelSelector<T> {
    @Override
    public String modelOf(T event) {
      return name;
    }
  }
}
