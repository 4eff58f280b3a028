package io.flowguard.job.retrain;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record of a promotion, for the transactional model sink: a model file (or a tombstone) for the
 * model topic or the model history topic. A promotion is written as the history record, the
 * tombstone of the version that leaves the history, then the model-topic record, all in one Kafka
 * transaction (the layout of {@code ModelHistory}).
 *
 * <p>A record with arrays, so that Flink serializes it as a POJO. The arrays are not copied; callers
 * must not modify them.
 *
 * @param topic the topic
 * @param key the record key, UTF-8: the model name, or {@code NAME/VERSION} in the history
 * @param value the model file; empty for a tombstone
 */
public record ModelTopicRecord(String topic, String key, byte[] value) {

  public ModelTopicRecord {
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }

  public boolean isTombstone() {
    return value.length == 0;
  }

  byte[] keyBytes() {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelTopicRecord r && topic.equals(r.topic) && key.equals(r.key)
        && Arrays.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, key, Arrays.hashCode(value));
  }

  @Override
  public String toString() {
    return "ModelTopicRecord[" + topic + ", " + key + ", " + value.length + " bytes]";
  }
}
