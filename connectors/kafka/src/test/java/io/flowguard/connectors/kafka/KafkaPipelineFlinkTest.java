package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.connectors.FlinkJobs;
import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterJson;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.Event;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.event.Parsed;
import io.flowguard.connectors.event.SchemaLookup;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events topic -> event source -> codec -> scores (exactly-once sink) and dead letters (at-least-once
 * sink), on a real broker and a MiniCluster: the serializers, the delivery settings and
 * read_committed isolation working together.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaPipelineFlinkTest {

  @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = FlinkJobs.miniCluster();

  static final OutputTag<DeadLetter> DEAD = new OutputTag<>("dead-letters") {};

  /** Decodes, and "scores" valid events with a stand-in score. */
  static final class ParseAndScore extends ProcessFunction<ConsumedRecord, ScoredEvent> {
    private static final long serialVersionUID = 1L;
    private static final String[] NAMES = {"temp", "pressure"};
    private final EventCodec codec = new EventCodec();

    @Override
    public void processElement(ConsumedRecord r, Context ctx, Collector<ScoredEvent> out) {
      SchemaLookup lookup = SchemaLookup.of(Map.of("default", List.of(NAMES)));
      Parsed<Event> parsed = codec.parse(r.value(), r.origin(), r.timestamp(), lookup);
      if (parsed instanceof Parsed.Ok<Event> ok) {
        Event e = ok.value();
        out.collect(new ScoredEvent(e.key(), e.model(), "1", e.eventTime(), -e.features()[0],
            e.features()[0], 0.5, false,
            new TypicalityResult[] {new TypicalityResult(4, Double.NaN, 1.0, false)},
            NAMES, e.features()));
      } else {
        ctx.output(DEAD, parsed.deadLetter().orElseThrow());
      }
    }
  }

  @Test
  void eventsFlowToExactlyOnceScoresAndDeadLetters() throws Exception {
    EmbeddedKafka kafka = SharedKafka.get();
    String bootstrap = kafka.bootstrapServers();
    kafka.createTopic("events-in", 2, false);
    kafka.createTopic("scores-out", 2, false);
    kafka.createTopic("dead-out", 1, false);

    List<byte[]> bad = List.of(
        "{\"key\":\"k9\",\"features\":{\"temp\":\"hot\",\"pressure\":1}}"
            .getBytes(StandardCharsets.UTF_8),
        new byte[] {'{', (byte) 0xff, '}'});
    Properties pp = kafka.clientProperties();
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 6; i++) {
        String json = "{\"key\":\"k" + i + "\",\"ts\":" + (1000 + i)
            + ",\"features\":{\"pressure\":1.5,\"temp\":" + i + "}}";
        p.send(new ProducerRecord<>("events-in", json.getBytes(StandardCharsets.UTF_8)));
      }
      for (byte[] b : bad) {
        p.send(new ProducerRecord<>("events-in", b));
      }
    }

    StreamExecutionEnvironment env = FlinkJobs.environment();
    // Transactions commit on checkpoints, and on the final checkpoint when the bounded job ends.
    env.enableCheckpointing(200);
    SingleOutputStreamOperator<ScoredEvent> scored =
        env.fromSource(
                KafkaIo.sourceBuilder(bootstrap, List.of("events-in"), "pipeline-test",
                        new ConsumedRecordDeserializer(), new Properties())
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setBounded(OffsetsInitializer.latest())
                    .build(),
                WatermarkStrategy.noWatermarks(), "events")
            .process(new ParseAndScore());
    scored.sinkTo(KafkaIo.sink(bootstrap, new ScoredEventSerializer("scores-out"),
        SinkOptions.exactlyOnce("pipeline-test-scores")
            .withTransactionTimeout(Duration.ofSeconds(30)),
        new Properties())).name("scores").uid("scores");
    scored.getSideOutput(DEAD).sinkTo(KafkaIo.sink(bootstrap,
        new DeadLetterSerializer("dead-out"), SinkOptions.atLeastOnce(), new Properties()))
        .name("dead-letters").uid("dead-letters");
    env.execute("pipeline-test");

    // The job has finished, so every transaction is committed or aborted: reading to the end offsets
    // sees all it wrote, and a record written twice shows up as an extra record.
    ObjectMapper mapper = new ObjectMapper();
    List<ConsumerRecord<byte[], byte[]>> scoreRecords = readCommittedToEnd(bootstrap, "scores-out");
    assertEquals(6, scoreRecords.size(), "records in scores-out");
    Map<String, JsonNode> scores = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : scoreRecords) {
      JsonNode json = mapper.readTree(r.value());
      assertEquals(json.get("key").asText(), new String(r.key(), StandardCharsets.UTF_8));
      JsonNode earlier = scores.put(json.get("key").asText(), json);
      assertNull(earlier, () -> "key " + json.get("key").asText() + " scored twice");
    }
    assertEquals(Set.of("k0", "k1", "k2", "k3", "k4", "k5"), scores.keySet());
    JsonNode k3 = scores.get("k3");
    assertEquals(1003L, k3.get("ts").asLong());
    assertEquals(3.0, k3.get("features").get("temp").asDouble());
    assertEquals(1.5, k3.get("features").get("pressure").asDouble());
    assertTrue(k3.get("typicality").get(0).get("statistic").isNull());

    // At-least-once may duplicate only across a failure, and this job does not fail.
    List<ConsumerRecord<byte[], byte[]>> deadRecords = readCommittedToEnd(bootstrap, "dead-out");
    assertEquals(2, deadRecords.size(), "records in dead-out");
    List<DeadLetter> letters = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : deadRecords) {
      letters.add(DeadLetterJson.fromJson(r.value()));
    }
    letters.sort((a, b) -> a.reason().compareTo(b.reason()));
    assertEquals(DeadLetterReason.NOT_UTF8, letters.get(0).reason());
    assertArrayEquals(bad.get(1), letters.get(0).original());
    assertEquals(DeadLetterReason.NON_NUMERIC_FEATURE, letters.get(1).reason());
    assertArrayEquals(bad.get(0), letters.get(1).original());
    assertEquals("events-in", letters.get(1).origin().topic());
    assertTrue(letters.get(1).origin().offset() >= 0);
  }

  /** Every committed record of {@code topic} up to its end offsets at the time of the call. */
  static List<ConsumerRecord<byte[], byte[]>> readCommittedToEnd(String bootstrap, String topic) {
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to its end " + end);
        }
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
