package io.flowguard.connectors.kafka;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Passes every Kafka record through as a {@link ConsumedRecord}. Decoding happens in a later operator,
 * not here, so that a bad record becomes a dead letter instead of failing the source.
 */
public final class ConsumedRecordDeserializer
    implements KafkaRecordDeserializationSchema<ConsumedRecord> {

  private static final long serialVersionUID = 1L;
  private static final byte[] EMPTY = new byte[0];

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ConsumedRecord> out) {
    out.collect(
        new ConsumedRecord(
            record.key() == null ? EMPTY : record.key(),
            record.value() == null ? EMPTY : record.value(),
            record.topic(),
            record.partition(),
            record.offset(),
            record.timestamp()));
  }

  @Override
  public TypeInformation<ConsumedRecord> getProducedType() {
    return TypeInformation.of(ConsumedRecord.class);
  }
}
