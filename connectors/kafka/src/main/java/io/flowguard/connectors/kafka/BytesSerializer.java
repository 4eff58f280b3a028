package io.flowguard.connectors.kafka;

import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes byte arrays unchanged, without a key, to one topic (event replay, raw pass-through). */
public final class BytesSerializer implements KafkaRecordSerializationSchema<byte[]> {

  private static final long serialVersionUID = 1L;

  private final String topic;

  public BytesSerializer(String topic) {
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      byte[] value, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(topic, null, null, null, value);
  }
}
