package io.flowguard.connectors.model;

import io.flowguard.connectors.kafka.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes and reads the model-events topic outside Flink (the CLI; the job uses
 * {@link ModelEventSerializer} in a Kafka sink). Records: key = model name, value = {@link ModelEventJson}.
 * The topic is an ordinary (deleting) topic: events are a log, not state ({@link #ensureTopic} creates
 * it with the broker's retention).
 */
public final class ModelEvents {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private ModelEvents() {}

  /**
   * Creates the model-events topic if it is missing (one partition, the broker's defaults otherwise).
   *
   * @return whether it was created
   * @throws IllegalStateException if it is missing and cannot be created
   */
  public static boolean ensureTopic(Properties kafkaProps, String topic) {
    if (TopicReader.exists(kafkaProps, topic)) {
      return false;
    }
    try (Admin admin = Admin.create(kafkaProps)) {
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all()
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw new IllegalStateException("creating the model-events topic '" + topic + "' failed: "
          + e.getCause().getMessage() + "; create it, or name another with --events-topic", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not create '" + topic + "' within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating '" + topic + "'", e);
    }
  }

  /** Writes one event and waits for the acknowledgement; returns its offset. */
  public static long send(Properties kafkaProps, String topic, ModelEvent event) {
    Objects.requireNonNull(topic, "topic");
    Properties props = new Properties();
    props.putAll(kafkaProps);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    try (KafkaProducer<byte[], byte[]> producer =
             new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      return producer.send(new ProducerRecord<>(topic, event.model().getBytes(StandardCharsets.UTF_8),
          ModelEventJson.toJson(event))).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
    } catch (ExecutionException e) {
      throw new IllegalStateException("writing a model event to '" + topic + "' failed: "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not acknowledge the model event within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing a model event", e);
    }
  }

  /**
   * Every event on the topic (all models), in partition then offset order; records that are not model
   * events are skipped. An absent topic has none.
   */
  public static List<ModelEvent> readAll(Properties kafkaProps, String topic) {
    List<ModelEvent> out = new ArrayList<>();
    if (!TopicReader.exists(kafkaProps, topic)) {
      return out;
    }
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafkaProps, topic).records()) {
      if (r.value() == null) {
        continue;
      }
      try {
        out.add(ModelEventJson.fromJson(r.value()));
      } catch (IllegalArgumentException e) {
        // Someone else's record on the topic: not ours to interpret.
      }
    }
    return out;
  }
}
