package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.Origin;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityResult;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/** The serializers keep every record within the producer's and the topic's size limit. */
class BoundedSerializersTest {

  static final ObjectMapper JSON = new ObjectMapper();

  static int size(ProducerRecord<byte[], byte[]> r) {
    return (r.key() == null ? 0 : r.key().length) + r.value().length;
  }

  @Test
  void theLimitIsTheSmallerOfRequestAndTopicLessFraming() {
    RecordSizeLimit l = RecordSizeLimit.fixed(1 << 20);
    assertEquals((1 << 20) - RecordSizeLimit.FRAMING_BYTES, l.limit(OptionalInt.of(8 << 20)));
    assertEquals(100_000 - RecordSizeLimit.FRAMING_BYTES, l.limit(OptionalInt.of(100_000)));
    assertEquals(Math.min(1 << 20, RecordSizeLimit.BROKER_DEFAULT_MAX_MESSAGE_BYTES)
        - RecordSizeLimit.FRAMING_BYTES, l.limit(OptionalInt.empty()), "unknown: broker default");
  }

  @Test
  void theProducersMaxRequestSizeIsTakenFromItsProperties() {
    Properties p = new Properties();
    p.setProperty("max.request.size", "2097152");
    assertEquals(2 << 20, RecordSizeLimit.of("localhost:1", p).maxRequestBytes());
    assertEquals(1 << 20, RecordSizeLimit.of("localhost:1", new Properties()).maxRequestBytes());
    p.setProperty("max.request.size", "lots");
    assertThrows(IllegalArgumentException.class, () -> RecordSizeLimit.of("localhost:1", p));
  }

  @Test
  void theTopicsMaxMessageBytesIsReadFromTheBroker() {
    EmbeddedKafka kafka = SharedKafka.get();
    kafka.createTopic("bounded-small", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "50000"));
    kafka.createTopic("bounded-stock", 1, false);
    RecordSizeLimit l = RecordSizeLimit.of(kafka.bootstrapServers(), kafka.clientProperties());
    assertEquals(50_000 - RecordSizeLimit.FRAMING_BYTES, l.resolve("bounded-small"));
    assertEquals(Math.min(1 << 20, RecordSizeLimit.BROKER_DEFAULT_MAX_MESSAGE_BYTES)
        - RecordSizeLimit.FRAMING_BYTES, l.resolve("bounded-stock"));
  }

  @Test
  void aDeadLetterOfAHugeRecordShrinksItsPrefixUntilItFits() throws Exception {
    // Control characters are escaped as 6 bytes each: the worst case for a text prefix.
    byte[] original = "\u0001".repeat(600_000).getBytes(StandardCharsets.UTF_8);
    DeadLetter d = new DeadLetter(DeadLetterReason.NOT_JSON, "m", original,
        new Origin("events", 0, 7), 1);
    int limit = 40_000;
    DeadLetterSerializer s = new DeadLetterSerializer("dead", 65_536,
        RecordSizeLimit.fixed(limit + RecordSizeLimit.FRAMING_BYTES));
    ProducerRecord<byte[], byte[]> r = s.serialize(d, null, null);
    assertTrue(size(r) <= limit, size(r) + " > " + limit);
    JsonNode n = JSON.readTree(r.value());
    assertTrue(n.get("truncated").asBoolean());
    assertEquals(600_000, n.get("originalBytes").asInt());
    assertEquals(DeadLetterJson.sha256(original), n.get("originalSha256").asText());
    assertTrue(n.get("originalText").asText().length() > 1000, "as much as fits is kept");
  }

  @Test
  void aDeadLetterTopicTooSmallForAnyDeadLetterIsRefusedAtOpen() {
    DeadLetterSerializer s = new DeadLetterSerializer("dead", 100,
        RecordSizeLimit.fixed(8 << 10));
    DeadLetter d = new DeadLetter(DeadLetterReason.NOT_JSON, "m", new byte[1], Origin.NONE, 1);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> s.serialize(d, null, null));
    assertTrue(e.getMessage().contains("max.message.bytes"), e.getMessage());
  }

  @Test
  void aScoredEventTooLargeForTheTopicIsWrittenWithoutItsFeatures() throws Exception {
    int n = 5_000;
    String[] names = new String[n];
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      names[i] = "feature-with-a-long-name-" + i;
      values[i] = i;
    }
    ScoredEvent e = new ScoredEvent("k", "m", "1", 5, -1, 1, 0.5, false,
        new TypicalityResult[0], names, values);
    ScoredEventSerializer small = new ScoredEventSerializer("scores",
        RecordSizeLimit.fixed(20_000 + RecordSizeLimit.FRAMING_BYTES));
    ProducerRecord<byte[], byte[]> r = small.serialize(e, null, null);
    assertTrue(size(r) <= 20_000);
    JsonNode json = JSON.readTree(r.value());
    assertTrue(json.get("featuresOmitted").asBoolean());
    assertEquals(1.0, json.get("nll").asDouble(), 0.0);
    ScoredEventSerializer stock = new ScoredEventSerializer("scores");
    assertFalse(JSON.readTree(stock.serialize(e, null, null).value()).has("featuresOmitted"),
        "under the stock 1 MiB limit the features stay");
  }
}
