package io.flowguard.connectors.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ModelEventJsonTest {

  private static final ModelEvent REJECTED = new ModelEvent("pump", ModelEventKind.REJECTED, 4, 3, "WORSE_NLL",
      "worse by 0.4 nats", 12.5, 12.125, 1000, 800, 200, 3.25, "topic events, last PT24H", 1764662400000L);

  @Test
  void fieldsAreWrittenInTheDocumentedOrder() {
    String json = new String(ModelEventJson.toJson(REJECTED), StandardCharsets.UTF_8);
    assertEquals("{\"model\":\"pump\",\"kind\":\"REJECTED\",\"challengerVersion\":4,\"championVersion\":3,"
        + "\"reason\":\"WORSE_NLL\",\"message\":\"worse by 0.4 nats\",\"challengerNll\":12.5,\"championNll\":12.125,"
        + "\"candidateRows\":1000,\"trainRows\":800,\"heldOutRows\":200,\"trainSeconds\":3.25,"
        + "\"dataWindow\":\"topic events, last PT24H\",\"ts\":1764662400000}", json);
  }

  @Test
  void unmeasuredMetricsAreNullAndReadBackAsNaN() {
    ModelEvent failed = ModelEvent.failed("pump", 4, 3, "PUBLISH_FAILED", "broker down", "", 5L);
    String json = new String(ModelEventJson.toJson(failed), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"challengerNll\":null,\"championNll\":null"), json);
    assertEquals(failed, ModelEventJson.fromJson(ModelEventJson.toJson(failed)));
  }

  @Test
  void everyKindRoundTrips() {
    for (ModelEvent e : List.of(REJECTED, ModelEvent.rolledBack("pump", 8, 7, 3, 6L),
        ModelEvent.failed("pump", 2, 1, "TRAINING_ERROR", "out of memory", "reservoir", 7L))) {
      assertEquals(e, ModelEventJson.fromJson(ModelEventJson.toJson(e)));
    }
  }

  @Test
  void malformedEventsAreRejectedNamingTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelEventJson.fromJson("{\"model\":\"pump\",\"kind\":\"EXPLODED\"}".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("kind"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ModelEventJson.fromJson("[]".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("JSON object"), e.getMessage());
  }

  @Test
  void theSerializerKeysByModelName() {
    ProducerRecord<byte[], byte[]> r = new ModelEventSerializer("events-of-models").serialize(REJECTED, null, null);
    assertEquals("events-of-models", r.topic());
    assertEquals("pump", new String(r.key(), StandardCharsets.UTF_8));
    assertEquals(REJECTED, ModelEventJson.fromJson(r.value()));
  }

  @Test
  @Timeout(120)
  void modelEventsAreWrittenToAndReadFromATopic() {
    EmbeddedKafka kafka = SharedKafka.get();
    String topic = "model-events-roundtrip";
    kafka.createTopic(topic, 1, false);
    ModelEvents.send(kafka.clientProperties(), topic, REJECTED);
    ModelEvent promoted = new ModelEvent("pump", ModelEventKind.PROMOTED, 5, 4, "VALIDATED", "ok", 1, 2, 10, 8, 2, 1,
        "", 8L);
    ModelEvents.send(kafka.clientProperties(), topic, promoted);
    assertEquals(List.of(REJECTED, promoted), ModelEvents.readAll(kafka.clientProperties(), topic));
    assertEquals(List.of(), ModelEvents.readAll(kafka.clientProperties(), "no-such-model-events"));
  }
}
