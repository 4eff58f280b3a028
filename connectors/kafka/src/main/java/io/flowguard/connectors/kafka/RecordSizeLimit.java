package io.flowguard.connectors.kafka;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The largest record (key plus value) a sink may hand to its producer for one topic: the smaller of
 * the producer's {@code max.request.size} and the topic's {@code max.message.bytes}, less {@link
 * #FRAMING_BYTES} for the record batch's framing.
 *
 * <p>Flink's Kafka sink has no per-record error hook: a record the producer or the broker refuses
 * ({@code RecordTooLargeException}) fails the job, and the restored job meets the same record again.
 * So the job's serializers check every record against this limit and write a smaller form instead
 * (see {@link ScoredEventSerializer}, {@link DeadLetterSerializer}). The topic's limit is read once
 * when the serializer opens (at start-up and after each restart); if it cannot be read (no
 * DescribeConfigs permission, the topic does not exist yet) the broker's default {@value
 * #BROKER_DEFAULT_MAX_MESSAGE_BYTES} is assumed and a WARN says so.
 */
public final class RecordSizeLimit implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RecordSizeLimit.class);

  /** Kafka's default {@code max.request.size}: 1 MiB. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;

  /** Kafka's default broker {@code message.max.bytes} (the default of a topic's limit). */
  public static final int BROKER_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

  /**
   * Room kept for what the producer counts besides key and value: a record batch header (61 bytes),
   * the record's own header (at most 21 bytes) and record headers (none written by these sinks).
   */
  public static final int FRAMING_BYTES = 1024;

  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

  private final int maxRequestBytes;
  private final String bootstrapServers;
  private final Properties clientProperties;

  private RecordSizeLimit(int maxRequestBytes, String bootstrapServers, Properties client) {
    if (maxRequestBytes <= FRAMING_BYTES) {
      throw new IllegalArgumentException("max.request.size must exceed " + FRAMING_BYTES
          + " bytes, got " + maxRequestBytes);
    }
    this.maxRequestBytes = maxRequestBytes;
    this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    this.clientProperties = new Properties();
    this.clientProperties.putAll(client);
  }

  /** A limit from the producer's size alone, without asking the broker (tests, other sinks). */
  public static RecordSizeLimit fixed(int maxRequestBytes) {
    return new RecordSizeLimit(maxRequestBytes, "", new Properties());
  }

  /**
   * A limit from the producer's {@code max.request.size} (in {@code producerProperties}, else
   * Kafka's default) and each topic's {@code max.message.bytes}, read from the cluster on open.
   */
  public static RecordSizeLimit of(String bootstrapServers, Properties producerProperties) {
    String given = producerProperties.getProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    int request;
    try {
      request = given == null ? DEFAULT_MAX_REQUEST_BYTES : Integer.parseInt(given.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "max.request.size must be an integer, got '" + given + "'", e);
    }
    return new RecordSizeLimit(request, bootstrapServers, producerProperties);
  }

  /** The producer's {@code max.request.size}. */
  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  /** The limit for key plus value when the topic allows {@code topicMaxMessageBytes}. */
  public int limit(OptionalInt topicMaxMessageBytes) {
    int topic = topicMaxMessageBytes.orElse(BROKER_DEFAULT_MAX_MESSAGE_BYTES);
    return Math.min(maxRequestBytes, topic) - FRAMING_BYTES;
  }

  /** The limit for key plus value on {@code topic}, reading its {@code max.message.bytes}. */
  public int resolve(String topic) {
    if (bootstrapServers.isEmpty()) {
      return limit(OptionalInt.of(Integer.MAX_VALUE));
    }
    OptionalInt topicMax = topicMaxMessageBytes(topic);
    int limit = limit(topicMax);
    LOG.info("Records to '{}' are kept under {} bytes (max.request.size {}, topic"
        + " max.message.bytes {})", topic, limit, maxRequestBytes,
        topicMax.isPresent() ? topicMax.getAsInt() : "unknown");
    return limit;
  }

  private OptionalInt topicMaxMessageBytes(String topic) {
    Properties p = new Properties();
    // Only what an admin client understands: the producer's own settings would be logged as unknown.
    for (String k : clientProperties.stringPropertyNames()) {
      if (AdminClientConfig.configNames().contains(k)) {
        p.setProperty(k, clientProperties.getProperty(k));
      }
    }
    p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
        Long.toString(LOOKUP_TIMEOUT.toMillis()));
    p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
        Long.toString(LOOKUP_TIMEOUT.toMillis()));
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try (Admin admin = Admin.create(p)) {
      Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource)).all()
          .get(LOOKUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      ConfigEntry e = configs.get(resource).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      if (e != null && e.value() != null) {
        return OptionalInt.of(Integer.parseInt(e.value()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("Could not read max.message.bytes of topic '{}' ({}); assuming the broker default"
          + " {}. Grant DescribeConfigs on the topic, or create it before the job starts.",
          topic, e.getCause() == null ? e.toString() : e + ": " + e.getCause(),
          BROKER_DEFAULT_MAX_MESSAGE_BYTES);
    }
    return OptionalInt.empty();
  }
}
