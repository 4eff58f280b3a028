package io.flowguard.job.retrain;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes {@link ModelTopicRecord}s to their topics; an empty value becomes a tombstone (null). */
public final class ModelTopicRecordSerializer
    implements KafkaRecordSerializationSchema<ModelTopicRecord> {

  private static final long serialVersionUID = 1L;

  @Override
  public ProducerRecord<byte[], byte[]> serialize(ModelTopicRecord r, KafkaSinkContext context,
      Long timestamp) {
    return new ProducerRecord<>(r.topic(), null, null, r.keyBytes(),
        r.isTombstone() ? null : r.value());
  }
}
