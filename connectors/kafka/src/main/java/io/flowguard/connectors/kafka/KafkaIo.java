package io.flowguard.connectors.kafka;

import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
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

  private static final String MASK = "******";

  // Property-name parts that mark a value as secret.
  private static final List<String> SECRET_WORDS =
      List.of("password", "passwd", "secret", "jaas", "token", "credential");
  // A final part naming a class: its value is a class name, useful in logs and never a secret
  // (key.serializer, value.deserializer, ...).
  private static final Set<String> CLASS_SUFFIXES =
      Set.of("serializer", "deserializer", "class", "classes");

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
   * A copy of the properties fit for logging: values of secret-looking keys are masked.
   *
   * <p>A key is secret when one of its parts (split at '.', '_' and '-', case-insensitive) contains
   * password, passwd, secret, jaas, token or credential, or is or ends with "key" (ssl.key.password,
   * ssl.keystore.key, api.key, apikey) — unless its last part names a class (serializer,
   * deserializer, class, classes), as in key.serializer: class names are never secret and are worth
   * seeing. Keystore and truststore locations and types are not masked.
   */
  public static Properties redacted(Properties props) {
    Properties copy = new Properties();
    for (String k : props.stringPropertyNames()) {
      copy.setProperty(k, isSecret(k) ? MASK : props.getProperty(k));
    }
    return copy;
  }

  /** Whether a property's value should be masked in logs; see {@link #redacted}. */
  public static boolean isSecret(String propertyName) {
    String[] parts = propertyName.toLowerCase(Locale.ROOT).split("[._-]");
    if (parts.length == 0 || CLASS_SUFFIXES.contains(parts[parts.length - 1])) {
      return false;
    }
    for (String part : parts) {
      if (part.endsWith("key")) {
        return true;
      }
      for (String word : SECRET_WORDS) {
        if (part.contains(word)) {
          return true;
        }
      }
    }
    return false;
  }
}
