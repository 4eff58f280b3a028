package io.flowguard.connectors.kafka;

import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.ScoredEventJson;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link ScoredEvent} as JSON ({@link ScoredEventJson}), keyed by the event key (UTF-8) so
 * that each key's scores stay in order in one partition.
 *
 * <p>The Kafka timestamp is left to the producer (write time) rather than set to the event time: a
 * replay of old events would otherwise write records that time-based retention deletes at once. The
 * event time is in the JSON.
 */
public final class ScoredEventSerializer implements KafkaRecordSerializationSchema<ScoredEvent> {

  private static final long serialVersionUID = 1L;

  private final String topic;

  public ScoredEventSerializer(String topic) {
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      ScoredEvent event, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(
        topic, null, null, event.key().getBytes(StandardCharsets.UTF_8),
        ScoredEventJson.toJson(event));
  }
}
