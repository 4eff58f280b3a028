package io.flowguard.connectors.model;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes models to the model topic: a compacted topic whose key is the model name (UTF-8) and whose
 * value is the model file's bytes. Compaction keeps the latest file per name forever, so a job that
 * starts reading at the earliest offset sees every current model; a tombstone ({@link #retire})
 * withdraws one.
 *
 * <p>Writes use an idempotent producer with {@code acks=all}: a retried send neither duplicates nor
 * reorders a model. The topic is created if missing (one partition, the broker's default replication
 * factor, {@code cleanup.policy=compact}, {@code max.message.bytes} = {@link #MAX_MODEL_BYTES} plus
 * headroom). An existing topic without compaction is refused: time-based retention would silently
 * delete models that running jobs need after a restart.
 */
public final class ModelTopic {

  /** The model topic when none is named: the job's {@code model.topic} and the CLI's default. */
  public static final String DEFAULT_TOPIC = "flowguard-models";

  /** The largest model file accepted: {@link ModelRecord#MAX_MODEL_BYTES}. */
  public static final int MAX_MODEL_BYTES = ModelRecord.MAX_MODEL_BYTES;

  // Room for the record's key, headers and batch framing on top of the model bytes.
  private static final int RECORD_OVERHEAD = 64 << 10;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private ModelTopic() {}

  /**
   * Publishes a model file, creating the topic if needed, and waits for the broker's acknowledgement.
   *
   * @param kafkaProps client properties: {@code bootstrap.servers} and any security settings
   * @param topic the model topic
   * @param modelName the model name (the record key)
   * @param modelBytes the model file, at most {@link #MAX_MODEL_BYTES} and not empty
   * @return the offset the model was written at
   * @throws IllegalArgumentException for an empty or oversized model
   * @throws IllegalStateException if the topic is not compacted or Kafka fails
   */
  public static long publish(
      Properties kafkaProps, String topic, String modelName, byte[] modelBytes) {
    return publish(kafkaProps, topic, modelName, modelBytes, NO_SIGNATURE);
  }

  /**
   * {@link #publish(Properties, String, String, byte[])} with a signature of the model bytes ({@link
   * io.flowguard.core.model.ModelSignature}) in the record header {@code flowguard.signature}; an
   * empty signature writes no header.
   */
  public static long publish(
      Properties kafkaProps, String topic, String modelName, byte[] modelBytes, byte[] signature) {
    Objects.requireNonNull(modelBytes, "modelBytes");
    if (modelBytes.length == 0) {
      // An empty value is a tombstone; withdrawing a model must be explicit.
      throw new IllegalArgumentException("empty model file; use retire() to withdraw a model");
    }
    if (modelBytes.length > MAX_MODEL_BYTES) {
      throw new IllegalArgumentException("model file has " + modelBytes.length
          + " bytes, the limit is " + MAX_MODEL_BYTES);
    }
    return sendRecord(kafkaProps, topic, modelName, modelBytes, signature, true);
  }

  /** Withdraws a model: writes a tombstone for its name. Returns the tombstone's offset. */
  public static long retire(Properties kafkaProps, String topic, String modelName) {
    return retire(kafkaProps, topic, modelName, NO_SIGNATURE);
  }

  /**
   * Withdraws a model with a signed tombstone: {@code signature} signs {@link
   * io.flowguard.core.model.ModelSignature#withdrawal withdrawal(modelName)}; a job that verifies
   * signatures ignores an unsigned tombstone.
   */
  public static long retire(Properties kafkaProps, String topic, String modelName, byte[] signature) {
    return sendRecord(kafkaProps, topic, modelName, null, signature, true);
  }

  private static final byte[] NO_SIGNATURE = new byte[0];

  /**
   * Creates the model topic if it is missing and checks that an existing one is compacted.
   *
   * @return whether the topic was created
   */
  public static boolean ensureTopic(Properties kafkaProps, String topic) {
    try (Admin admin = Admin.create(kafkaProps)) {
      NewTopic spec =
          new NewTopic(topic, Optional.of(1), Optional.empty())
              .configs(
                  Map.of(
                      TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                      TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                      Integer.toString(MAX_MODEL_BYTES + RECORD_OVERHEAD)));
      try {
        await(admin.createTopics(List.of(spec)).all());
        return true;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "creating model topic '" + topic + "' failed: " + e.getCause().getMessage(),
              e.getCause());
        }
      }
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = describeOnceKnown(admin, resource);
      ConfigEntry policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
      String value = policy == null ? "" : policy.value();
      if (Arrays.stream(value.split(",")).map(String::trim)
          .noneMatch(TopicConfig.CLEANUP_POLICY_COMPACT::equals)) {
        throw new IllegalStateException("model topic '" + topic + "' has cleanup.policy=" + value
            + "; it must include 'compact' or models are deleted after the retention time");
      }
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "inspecting model topic '" + topic + "' failed: " + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /**
   * The model topic's current record for a model (the newest value of its key, with its signature header
   * if it has one), if it has one that is not a tombstone. An absent topic has none.
   */
  public static Optional<ModelRecord> current(Properties kafkaProps, String topic, String modelName) {
    if (!io.flowguard.connectors.kafka.TopicReader.exists(kafkaProps, topic)) {
      return Optional.empty();
    }
    byte[] key = modelName.getBytes(StandardCharsets.UTF_8);
    org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> latest = null;
    for (var r : io.flowguard.connectors.kafka.TopicReader.readAll(kafkaProps, topic).records()) {
      if (Arrays.equals(key, r.key())) {
        latest = r;
      }
    }
    if (latest == null || latest.value() == null || latest.value().length == 0) {
      return Optional.empty();
    }
    org.apache.kafka.common.header.Header signature =
        latest.headers().lastHeader(io.flowguard.core.model.ModelSignature.HEADER);
    return Optional.of(new ModelRecord(modelName, latest.value(), latest.offset(), latest.timestamp(),
        signature == null || signature.value() == null ? NO_SIGNATURE : signature.value()));
  }

  /** Sends one record (null value: a tombstone) with the model-topic producer settings; the topic must exist. */
  static long send(Properties kafkaProps, String topic, String key, byte[] value) {
    return sendRecord(kafkaProps, topic, key, value, NO_SIGNATURE, false);
  }

  static long send(Properties kafkaProps, String topic, String key, byte[] value, byte[] signature) {
    return sendRecord(kafkaProps, topic, key, value, signature, false);
  }

  private static long sendRecord(Properties kafkaProps, String topic, String modelName, byte[] value,
                                 byte[] signature, boolean ensure) {
    Objects.requireNonNull(topic, "topic");
    if (Objects.requireNonNull(modelName, "modelName").isEmpty()) {
      throw new IllegalArgumentException("model name must not be empty");
    }
    if (ensure) {
      ensureTopic(kafkaProps, topic);
    }
    Properties props = new Properties();
    props.putAll(kafkaProps);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Integer.toString(MAX_MODEL_BYTES + RECORD_OVERHEAD));
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      ProducerRecord<byte[], byte[]> record =
          new ProducerRecord<>(topic, modelName.getBytes(StandardCharsets.UTF_8), value);
      if (signature.length > 0) {
        record.headers().add(io.flowguard.core.model.ModelSignature.HEADER, signature);
      }
      RecordMetadata meta = await(producer.send(record));
      return meta.offset();
    } catch (ExecutionException e) {
      throw new IllegalStateException("publishing model '" + modelName + "' to '" + topic
          + "' failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * The topic's configuration. A topic that was just created (by this call's race or by another client)
   * may be unknown to the broker for a moment: under KRaft the broker applies the controller's metadata
   * asynchronously, so describeConfigs can answer UNKNOWN_TOPIC_OR_PARTITION right after a create. Seen
   * on a loaded test machine; retried for up to {@link #TIMEOUT}.
   */
  private static Config describeOnceKnown(Admin admin, ConfigResource resource) throws ExecutionException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        return await(admin.describeConfigs(List.of(resource)).all()).get(resource);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while talking to Kafka", e);
      }
    }
  }

  private static <T> T await(java.util.concurrent.Future<T> future) throws ExecutionException {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while talking to Kafka", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within " + TIMEOUT, e);
    }
  }
}
