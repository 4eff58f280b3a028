package io.flowguard.connectors.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelTopicTest {

  final EmbeddedKafka kafka = SharedKafka.get();

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Reads the whole topic; returns the latest value per key (null for a tombstone). */
  Map<String, byte[]> latestPerKey(String topic) {
    Properties p = kafka.clientProperties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, byte[]> latest = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          latest.put(new String(r.key(), StandardCharsets.UTF_8), r.value());
        }
      }
    }
    return latest;
  }

  @Test
  void publishCreatesACompactedTopicAndTheLatestValuePerKeyWins() throws Exception {
    String topic = "models-publish";
    Properties props = kafka.clientProperties();
    long o1 = ModelTopic.publish(props, topic, "default", bytes("v1"));
    long o2 = ModelTopic.publish(props, topic, "other", bytes("o1"));
    long o3 = ModelTopic.publish(props, topic, "default", bytes("v2"));
    assertTrue(o1 < o2 && o2 < o3);

    Map<String, byte[]> latest = latestPerKey(topic);
    assertEquals(2, latest.size());
    assertArrayEquals(bytes("v2"), latest.get("default"));
    assertArrayEquals(bytes("o1"), latest.get("other"));

    try (Admin admin = Admin.create(props)) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(List.of(r)).all().get().get(r);
      assertEquals("compact", config.get("cleanup.policy").value());
      assertTrue(Integer.parseInt(config.get("max.message.bytes").value())
          > ModelTopic.MAX_MODEL_BYTES);
      assertEquals(1, admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().size());
    }
    assertFalse(ModelTopic.ensureTopic(props, topic));
  }

  @Test
  void modelsLargerThanKafkasDefaultRecordLimitArePublished() {
    byte[] model = new byte[3 << 20];
    new Random(7).nextBytes(model);
    ModelTopic.publish(kafka.clientProperties(), "models-large", "big", model);
    assertArrayEquals(model, latestPerKey("models-large").get("big"));
  }

  @Test
  void retireWritesATombstone() {
    Properties props = kafka.clientProperties();
    ModelTopic.publish(props, "models-retire", "m", bytes("v1"));
    ModelTopic.retire(props, "models-retire", "m");
    Map<String, byte[]> latest = latestPerKey("models-retire");
    assertTrue(latest.containsKey("m"));
    assertNull(latest.get("m"));
  }

  @Test
  void refusesANonCompactedTopicAndInvalidModels() {
    kafka.createTopic("models-not-compacted", 1, false);
    Properties props = kafka.clientProperties();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ModelTopic.publish(props, "models-not-compacted", "m", bytes("v")));
    assertTrue(e.getMessage().contains("cleanup.policy"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ModelTopic.publish(props, "models-x", "m", new byte[0]));
    assertThrows(IllegalArgumentException.class,
        () -> ModelTopic.publish(props, "models-x", "", bytes("v")));
    assertThrows(IllegalArgumentException.class,
        () -> ModelTopic.publish(props, "models-x", "m", new byte[ModelTopic.MAX_MODEL_BYTES + 1]));
  }
}
