package io.flowguard.connectors.event;

import java.util.Objects;

/**
 * Where a record came from: its Kafka topic, partition and offset. Kept with every event so that a
 * record rejected at any later stage can still be dead-lettered with its coordinates.
 *
 * @param topic the source topic; empty when the record did not come from Kafka
 * @param partition the source partition; -1 when unknown
 * @param offset the source offset; -1 when unknown
 */
public record Origin(String topic, int partition, long offset) {

  /** The origin of a record that did not come from Kafka (a file, a test). */
  public static final Origin NONE = new Origin("", -1, -1L);

  public Origin {
    Objects.requireNonNull(topic, "topic");
  }

  /** Whether this origin names a real Kafka record. */
  public boolean isKnown() {
    return !topic.isEmpty() && partition >= 0 && offset >= 0;
  }
}
