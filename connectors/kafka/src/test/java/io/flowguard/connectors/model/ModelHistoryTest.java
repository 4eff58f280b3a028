package io.flowguard.connectors.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.TestModels;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelHistoryTest {

  final EmbeddedKafka kafka = SharedKafka.get();
  final Properties props = kafka.clientProperties();

  private static List<Integer> versions(ModelHistory.History h) {
    return h.entries().stream().map(ModelHistory.Entry::version).toList();
  }

  @Test
  void keysAreNameSlashZeroPaddedVersion() {
    assertEquals("pump/0000000007", ModelHistory.key("pump", 7));
    assertEquals("models-history", ModelHistory.historyTopicFor("models"));
  }

  @Test
  void publishingWritesTheHistoryRecordAndTheModelTopicRecord() {
    String topic = "hist-publish";
    ModelHistory.Published p1 = ModelHistory.publish(props, topic, TestModels.bytes("pump", 1));
    byte[] v2 = TestModels.bytes("pump", 2);
    ModelHistory.Published p2 = ModelHistory.publish(props, topic, v2);
    assertEquals(2, p2.version());
    assertTrue(p2.historyOffset() > p1.historyOffset());

    ModelHistory.History h = ModelHistory.read(props, ModelHistory.historyTopicFor(topic), "pump");
    assertEquals(List.of(1, 2), versions(h));
    assertEquals(List.of(), h.unreadable());
    ModelHistory.Entry newest = h.newest().orElseThrow();
    assertEquals(OptionalInt.of(1), newest.provenance().lineage().orElseThrow().parentVersion(),
        "provenance is parsed from the stored file");
    assertEquals(v2.length, newest.sizeBytes());
    assertArrayEquals(v2, ModelTopic.current(props, topic, "pump").orElseThrow().bytes(),
        "the model topic holds the newest version");
  }

  @Test
  void onlyTheLastNVersionsAreKept() {
    String topic = "hist-keep";
    String history = ModelHistory.historyTopicFor(topic);
    ModelHistory.Published last = null;
    for (int v = 1; v <= 5; v++) {
      last = ModelHistory.publish(props, topic, history, TestModels.bytes("pump", v), 3);
    }
    assertEquals(List.of(2), last.retired(), "v1 went when v4 came; v5 retires v2");
    assertEquals(List.of(3, 4, 5), versions(ModelHistory.read(props, history, "pump")));
    assertTrue(ModelHistory.fetch(props, history, "pump", 1).isEmpty());
    assertTrue(ModelHistory.fetch(props, history, "pump", 3).isPresent());
  }

  @Test
  void aVersionJumpRetiresEveryOlderVersionBeyondTheWindow() {
    String topic = "hist-jump";
    String history = ModelHistory.historyTopicFor(topic);
    ModelHistory.publish(props, topic, history, TestModels.bytes("pump", 1), 2);
    ModelHistory.publish(props, topic, history, TestModels.bytes("pump", 2), 2);
    ModelHistory.Published p = ModelHistory.publish(props, topic, history, TestModels.bytes("pump", 9), 2);
    assertEquals(List.of(1, 2), p.retired());
    assertEquals(List.of(9), versions(ModelHistory.read(props, history, "pump")));
  }

  @Test
  void fetchReturnsTheExactFileOfOneVersion() {
    String topic = "hist-fetch";
    byte[] v1 = TestModels.bytes("pump", 1);
    ModelHistory.publish(props, topic, v1);
    ModelHistory.publish(props, topic, TestModels.bytes("pump", 2));
    assertArrayEquals(v1, ModelHistory.fetch(props, ModelHistory.historyTopicFor(topic), "pump", 1).orElseThrow());
    assertTrue(ModelHistory.fetch(props, ModelHistory.historyTopicFor(topic), "pump", 3).isEmpty());
  }

  @Test
  void eachModelHasItsOwnHistory() {
    String topic = "hist-names";
    ModelHistory.publish(props, topic, TestModels.bytes("a", 1));
    ModelHistory.publish(props, topic, TestModels.bytes("a/b", 1));
    ModelHistory.publish(props, topic, TestModels.bytes("a/b", 2));
    String history = ModelHistory.historyTopicFor(topic);
    assertEquals(List.of(1), versions(ModelHistory.read(props, history, "a")));
    assertEquals(List.of(1, 2), versions(ModelHistory.read(props, history, "a/b")));
    assertTrue(ModelHistory.read(props, history, "nobody").entries().isEmpty());
  }

  @Test
  void anUnreadableHistoryRecordIsListedNotSkippedSilently() {
    String topic = "hist-garbage";
    String history = ModelHistory.historyTopicFor(topic);
    ModelHistory.publish(props, topic, TestModels.bytes("pump", 1));
    ModelTopic.send(props, history, ModelHistory.key("pump", 2), "not a model".getBytes(StandardCharsets.UTF_8));
    ModelHistory.History h = ModelHistory.read(props, history, "pump");
    assertEquals(List.of(1), versions(h));
    assertEquals(1, h.unreadable().size());
    assertTrue(h.unreadable().get(0).startsWith("pump/0000000002: "), h.unreadable().toString());
  }

  @Test
  void anInvalidModelFileIsNeverPublished() {
    String topic = "hist-invalid";
    byte[] bad = TestModels.bytes("pump", 1);
    bad[bad.length - 1] ^= 1;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelHistory.publish(props, topic, bad));
    assertTrue(e.getMessage().contains("invalid model file"), e.getMessage());
    assertFalse(ModelTopic.current(props, topic, "pump").isPresent());
    assertTrue(ModelHistory.read(props, ModelHistory.historyTopicFor(topic), "pump").entries().isEmpty());
  }

  @Test
  void anAbsentHistoryTopicIsAnEmptyHistory() {
    assertTrue(ModelHistory.read(props, "hist-none-history", "pump").entries().isEmpty());
    assertTrue(ModelTopic.current(props, "hist-none", "pump").isEmpty());
  }
}
