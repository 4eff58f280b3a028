package io.flowguard.connectors.model;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link ModelEvent} to the model-events topic as JSON ({@link ModelEventJson}), keyed by the
 * model name (UTF-8) so that each model's events stay in order in one partition.
 */
public final class ModelEventSerializer implements KafkaRecordSerializationSchema<ModelEvent> {

  private static final long serialVersionUID = 1L;

  private final String topic;

  public ModelEventSerializer(String topic) {
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(ModelEvent event, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(topic, null, null, event.model().getBytes(StandardCharsets.UTF_8),
        ModelEventJson.toJson(event));
  }
}
