package io.flowguard.connectors.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker in this JVM (KRaft, one combined broker and controller, data in a temporary
 * directory deleted on close) for the demo and for tests. No Docker, no ZooKeeper; the first start in
 * a JVM takes a few seconds, later ones about one.
 *
 * <p>It wraps Kafka's internal test kit ({@code KafkaClusterTestKit}); this class is the only place
 * that touches that API, so a Kafka upgrade that changes it is fixed here. Internal topics (consumer
 * offsets, transaction state) have one partition, replication factor 1 and min ISR 1, which is what a
 * single broker can serve; transactions, and so exactly-once sinks, work.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = new EmbeddedKafka()) {
 *   kafka.start();
 *   kafka.createTopic("events", 2, false);
 *   String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, String> brokerConfig;
  private Optional<KafkaClusterTestKit> cluster = Optional.empty();

  /** A broker with the default configuration. */
  public EmbeddedKafka() {
    this(Map.of());
  }

  /** A broker with extra broker properties (they override the defaults). */
  public EmbeddedKafka(Map<String, String> brokerOverrides) {
    Map<String, String> config = new HashMap<>();
    // A single broker can only serve replication factor 1 for the internal topics.
    config.put("offsets.topic.replication.factor", "1");
    config.put("offsets.topic.num.partitions", "1");
    config.put("transaction.state.log.replication.factor", "1");
    config.put("transaction.state.log.min.isr", "1");
    config.put("transaction.state.log.num.partitions", "1");
    config.put("default.replication.factor", "1");
    config.put("min.insync.replicas", "1");
    // No delay before the first consumer-group rebalance: tests and the demo start consumers at once.
    config.put("group.initial.rebalance.delay.ms", "0");
    config.putAll(brokerOverrides);
    this.brokerConfig = Map.copyOf(config);
  }

  /**
   * Formats the storage and starts the broker; returns once it serves clients.
   *
   * @throws IllegalStateException if already started
   */
  public synchronized EmbeddedKafka start() {
    if (cluster.isPresent()) {
      throw new IllegalStateException("already started");
    }
    KafkaClusterTestKit kit = null;
    try {
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .build();
      KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
      brokerConfig.forEach(builder::setConfigProp);
      kit = builder.build();
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      cluster = Optional.of(kit);
      return this;
    } catch (Exception e) {
      if (kit != null) {
        try {
          kit.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("embedded Kafka failed to start: " + e.getMessage(), e);
    }
  }

  /** Whether the broker is running. */
  public synchronized boolean isRunning() {
    return cluster.isPresent();
  }

  /** The broker's bootstrap address ({@code host:port}). */
  public synchronized String bootstrapServers() {
    return running().bootstrapServers();
  }

  /** Client properties with {@code bootstrap.servers} set; add serializers and the like. */
  public Properties clientProperties() {
    Properties props = new Properties();
    props.setProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return props;
  }

  /**
   * Creates a topic (replication factor 1) unless it exists.
   *
   * @param compacted whether to set {@code cleanup.policy=compact}
   * @return whether the topic was created (false: it existed)
   */
  public boolean createTopic(String name, int partitions, boolean compacted) {
    return createTopic(name, partitions, compacted
        ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)
        : Map.of());
  }

  /**
   * Creates a topic (replication factor 1) with the given topic configs (e.g. {@code
   * max.message.bytes}) unless it exists.
   *
   * @return whether the topic was created (false: it existed)
   */
  public boolean createTopic(String name, int partitions, Map<String, String> configs) {
    NewTopic topic = new NewTopic(name, partitions, (short) 1);
    topic.configs(configs);
    try (Admin admin = Admin.create(clientProperties())) {
      admin.createTopics(List.of(topic)).all()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw new IllegalStateException("creating topic " + name + " failed", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("creating topic " + name + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + name, e);
    }
  }

  /** Stops the broker and deletes its data; does nothing if not running. */
  @Override
  public synchronized void close() {
    if (cluster.isEmpty()) {
      return;
    }
    KafkaClusterTestKit kit = cluster.get();
    cluster = Optional.empty();
    try {
      kit.close();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("embedded Kafka failed to stop cleanly", e);
    }
  }

  private KafkaClusterTestKit running() {
    return cluster.orElseThrow(() -> new IllegalStateException("embedded Kafka is not running"));
  }
}
