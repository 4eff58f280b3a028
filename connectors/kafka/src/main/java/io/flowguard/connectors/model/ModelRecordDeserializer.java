package io.flowguard.connectors.model;

import io.flowguard.core.model.ModelSignature;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model-topic records to {@link ModelRecord}s: key = model name (UTF-8), value = model file bytes, a
 * null value = a deletion. Records without a key cannot name a model and are skipped with a warning
 * rather than failing the job: a stray write to the model topic must not stop scoring. The header
 * {@code flowguard.signature}, if present, becomes the record's signature.
 */
public final class ModelRecordDeserializer implements KafkaRecordDeserializationSchema<ModelRecord> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ModelRecordDeserializer.class);
  private static final byte[] EMPTY = new byte[0];

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelRecord> out) {
    if (record.key() == null || record.key().length == 0) {
      LOG.warn("Skipping model-topic record without a key at {}-{}@{}",
          record.topic(), record.partition(), record.offset());
      return;
    }
    Header signature = record.headers().lastHeader(ModelSignature.HEADER);
    out.collect(
        new ModelRecord(
            new String(record.key(), StandardCharsets.UTF_8),
            record.value() == null ? EMPTY : record.value(),
            record.offset(),
            record.timestamp(),
            signature == null || signature.value() == null ? EMPTY : signature.value()));
  }

  @Override
  public TypeInformation<ModelRecord> getProducedType() {
    return TypeInformation.of(ModelRecord.class);
  }
}
