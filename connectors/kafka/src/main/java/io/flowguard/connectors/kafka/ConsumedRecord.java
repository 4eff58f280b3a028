package io.flowguard.connectors.kafka;

import io.flowguard.connectors.event.Origin;
import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record as the event source hands it to the decoders: the value bytes untouched (so that a
 * rejected record is dead-lettered exactly as received) with its key, coordinates and timestamp.
 *
 * @param key the record key; empty when the record has none
 * @param value the record value; empty for a tombstone
 * @param topic the topic
 * @param partition the partition
 * @param offset the offset
 * @param timestamp the record timestamp, epoch ms; negative if the record has none
 */
public record ConsumedRecord(
    byte[] key, byte[] value, String topic, int partition, long offset, long timestamp) {

  public ConsumedRecord {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(topic, "topic");
  }

  /** The record's coordinates. */
  public Origin origin() {
    return new Origin(topic, partition, offset);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConsumedRecord r
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && topic.equals(r.topic)
        && partition == r.partition
        && offset == r.offset
        && timestamp == r.timestamp;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        Arrays.hashCode(key), Arrays.hashCode(value), topic, partition, offset, timestamp);
  }

  @Override
  public String toString() {
    return "ConsumedRecord[" + topic + "-" + partition + "@" + offset + ", " + value.length
        + " bytes, timestamp=" + timestamp + "]";
  }
}
