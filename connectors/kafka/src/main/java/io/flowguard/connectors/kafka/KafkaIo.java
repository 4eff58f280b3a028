package io.flowguard.connectors.kafka;

import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Kafka sources and sinks with the project's defaults: sources read with {@code
 * isolation.level=read_committed} (so they never see aborted transactional output), sinks are
 * exactly-once unless told otherwise ({@link SinkOptions}).
 *
 * <p>Extra client properties (SASL, SSL, timeouts) pass through unchanged and are applied last, so they
 * override these defaults; log them only through {@link #redacted}.
 */
public final class KafkaIo {

  private KafkaIo() {}

  /**
   * A source builder for the given topics with read_committed isolation; starting offsets, bounds and
   * the rest stay open for the caller.
   */
  public static <T> KafkaSourceBuilder<T> sourceBuilder(
      String bootstrapServers,
      List<String> topics,
      String groupId,
      KafkaRecordDeserializationSchema<T> deserializer,
      Properties extra) {
    KafkaSourceBuilder<T> b =
        KafkaSource.<T>builder()
            .setBootstrapServers(bootstrapServers)
            .setTopics(topics)
            .setGroupId(groupId)
            .setDeserializer(deserializer)
            .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    extra.stringPropertyNames().forEach(k -> b.setProperty(k, extra.getProperty(k)));
    return b;
  }

  /**
   * The event source: raw records ({@link ConsumedRecord}) from the given topics, resuming from the
   * group's committed offsets, or from the earliest offset for a new group.
   */
  @SuppressWarnings("deprecation") // the connector's API still takes kafka-clients' OffsetResetStrategy
  public static KafkaSource<ConsumedRecord> eventSource(
      String bootstrapServers, List<String> topics, String groupId, Properties extra) {
    return eventSource(bootstrapServers, topics, groupId,
        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST), extra);
  }

  /** The event source starting from the given offsets. */
  public static KafkaSource<ConsumedRecord> eventSource(
      String bootstrapServers,
      List<String> topics,
      String groupId,
      OffsetsInitializer startingOffsets,
      Properties extra) {
    return sourceBuilder(bootstrapServers, topics, groupId, new ConsumedRecordDeserializer(), extra)
        .setStartingOffsets(startingOffsets)
        .build();
  }

  /** A sink builder with the given delivery options; the caller may adjust it further. */
  public static <T> KafkaSinkBuilder<T> sinkBuilder(
      String bootstrapServers,
      KafkaRecordSerializationSchema<T> serializer,
      SinkOptions options,
      Properties extra) {
    KafkaSinkBuilder<T> b =
        KafkaSink.<T>builder()
            .setBootstrapServers(bootstrapServers)
            .setRecordSerializer(serializer)
            .setDeliveryGuarantee(options.guarantee());
    if (options.guarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
      b.setTransactionalIdPrefix(options.transactionalIdPrefix());
      b.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
          Long.toString(options.transactionTimeout().toMillis()));
    }
    extra.stringPropertyNames().forEach(k -> b.setProperty(k, extra.getProperty(k)));
    return b;
  }

  /** A sink with the given delivery options. */
  public static <T> KafkaSink<T> sink(
      String bootstrapServers,
      KafkaRecordSerializationSchema<T> serializer,
      SinkOptions options,
      Properties extra) {
    return sinkBuilder(bootstrapServers, serializer, options, extra).build();
  }

  /**
   * A sink with the given delivery options that counts its records through to Kafka's commit ({@link
   * CommitCountingSink}: records written, committed, and lost to a refused commit). The job's sinks are
   * these.
   */
  public static <T> CommitCountingSink<T> countingSink(
      String bootstrapServers,
      KafkaRecordSerializationSchema<T> serializer,
      SinkOptions options,
      Properties extra) {
    return counting(sinkBuilder(bootstrapServers, serializer, options, extra).build(), options, extra);
  }

  /** {@code sink} (built with {@code options} and {@code extra}) counting its records ({@link CommitCountingSink}). */
  public static <T> CommitCountingSink<T> counting(KafkaSink<T> sink, SinkOptions options, Properties extra) {
    String timeout = extra.getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
    return new CommitCountingSink<>(sink, timeout != null
        ? java.time.Duration.ofMillis(Long.parseLong(timeout.trim())) : options.transactionTimeout());
  }

  /**
   * A copy of the properties fit for logging: values of secret-looking keys are masked. See
   * {@link KafkaSecrets#redacted}, which the Kafka CLI commands call without Flink on the classpath.
   */
  public static Properties redacted(Properties props) {
    return KafkaSecrets.redacted(props);
  }

  /** Whether a property's value should be masked in logs; see {@link KafkaSecrets#isSecret}. */
  public static boolean isSecret(String propertyName) {
    return KafkaSecrets.isSecret(propertyName);
  }
}
