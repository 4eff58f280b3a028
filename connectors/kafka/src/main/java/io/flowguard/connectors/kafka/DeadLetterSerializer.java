package io.flowguard.connectors.kafka;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterJson;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link DeadLetter} as JSON ({@link DeadLetterJson}) without a key: a rejected record may
 * have no usable key, and dead letters need no per-key order.
 *
 * <p>A dead letter keeps at most {@code maxOriginalBytes} of the rejected record (see {@link
 * DeadLetterJson}); if even that exceeds the topic's {@link RecordSizeLimit}, the kept prefix is
 * halved until it fits, so a dead letter never fails the sink.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {

  private static final long serialVersionUID = 1L;

  /** Below this limit even a dead letter without original bytes might not fit. */
  static final int MIN_LIMIT = 16 << 10;

  private final String topic;
  private final int maxOriginalBytes;
  private final RecordSizeLimit sizeLimit;
  private transient int limit;

  /** Default prefix ({@link DeadLetterJson#DEFAULT_MAX_ORIGINAL_BYTES}), Kafka's default limit. */
  public DeadLetterSerializer(String topic) {
    this(topic, DeadLetterJson.DEFAULT_MAX_ORIGINAL_BYTES,
        RecordSizeLimit.fixed(RecordSizeLimit.DEFAULT_MAX_REQUEST_BYTES));
  }

  /**
   * @param maxOriginalBytes the most bytes of a rejected record a dead letter keeps
   * @param sizeLimit the record size limit of the producer and the topic
   */
  public DeadLetterSerializer(String topic, int maxOriginalBytes, RecordSizeLimit sizeLimit) {
    if (maxOriginalBytes < 0) {
      throw new IllegalArgumentException("maxOriginalBytes must be >= 0, got " + maxOriginalBytes);
    }
    this.topic = Objects.requireNonNull(topic, "topic");
    this.maxOriginalBytes = maxOriginalBytes;
    this.sizeLimit = Objects.requireNonNull(sizeLimit, "sizeLimit");
  }

  @Override
  public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink) {
    limit = checked(sizeLimit.resolve(topic));
  }

  private int checked(int resolved) {
    if (resolved < MIN_LIMIT) {
      throw new IllegalStateException("the dead-letter topic '" + topic + "' allows records of "
          + resolved + " bytes, fewer than the " + MIN_LIMIT + " a dead letter may need; raise"
          + " its max.message.bytes (and the producer's max.request.size)");
    }
    return resolved;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      DeadLetter letter, KafkaSinkContext context, Long timestamp) {
    if (limit == 0) {
      limit = checked(sizeLimit.resolve(topic)); // used without open(): tests, other sinks
    }
    int keep = maxOriginalBytes;
    byte[] json = DeadLetterJson.toJson(letter, keep);
    while (json.length > limit && keep > 0) {
      keep /= 2;
      json = DeadLetterJson.toJson(letter, keep);
    }
    return new ProducerRecord<>(topic, null, null, null, json);
  }
}
