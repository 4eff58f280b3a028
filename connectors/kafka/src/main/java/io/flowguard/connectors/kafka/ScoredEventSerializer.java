package io.flowguard.connectors.kafka;

import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.ScoredEventJson;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link ScoredEvent} as JSON ({@link ScoredEventJson}), keyed by the event key (UTF-8) so
 * that each key's scores stay in order in one partition.
 *
 * <p>Every record stays within the topic's {@link RecordSizeLimit}: an event whose JSON with its
 * features would exceed it (only a model with a very large schema can cause this, since keys are
 * bounded by the decoder) is written without its feature values ({@code "featuresOmitted": true}).
 *
 * <p>The Kafka timestamp is left to the producer (write time) rather than set to the event time: a
 * replay of old events would otherwise write records that time-based retention deletes at once. The
 * event time is in the JSON.
 */
public final class ScoredEventSerializer implements KafkaRecordSerializationSchema<ScoredEvent> {

  private static final long serialVersionUID = 1L;

  private final String topic;
  private final RecordSizeLimit sizeLimit;
  private transient int limit;

  /** A serializer for Kafka's default {@code max.request.size}, without asking the broker. */
  public ScoredEventSerializer(String topic) {
    this(topic, RecordSizeLimit.fixed(RecordSizeLimit.DEFAULT_MAX_REQUEST_BYTES));
  }

  public ScoredEventSerializer(String topic, RecordSizeLimit sizeLimit) {
    this.topic = Objects.requireNonNull(topic, "topic");
    this.sizeLimit = Objects.requireNonNull(sizeLimit, "sizeLimit");
  }

  @Override
  public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink) {
    limit = sizeLimit.resolve(topic);
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      ScoredEvent event, KafkaSinkContext context, Long timestamp) {
    if (limit == 0) {
      limit = sizeLimit.resolve(topic); // used without open(): tests, other sinks
    }
    byte[] key = event.key().getBytes(StandardCharsets.UTF_8);
    byte[] value = ScoredEventJson.toJson(event);
    if (key.length + value.length > limit) {
      value = ScoredEventJson.toJson(event, false);
      if (key.length + value.length > limit) {
        // Unreachable with the job's bounds (key <= events.max-key-bytes, model name <= 256
        // characters); refuse loudly rather than fail the job on every restart.
        throw new IllegalStateException("a scored event of key length " + key.length
            + " does not fit " + limit + " bytes even without its features");
      }
    }
    return new ProducerRecord<>(topic, null, null, key, value);
  }
}
