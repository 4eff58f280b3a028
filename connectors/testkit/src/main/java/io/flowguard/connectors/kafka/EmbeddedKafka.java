package io.flowguard.connectors.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * A real Kafka broker in this JVM (KRaft, one combined broker and controller, data in a temporary
 * directory deleted on close) for the demo and for tests. No Docker, no ZooKeeper; it starts in a few
 * seconds.
 *
 * <p>It listens on the loopback address {@code 127.0.0.1} only, so a demo or a test never offers an
 * unauthenticated broker to the network. That is why it runs Kafka's own KRaft server (the one
 * {@code kafka-server-start.sh} runs: the storage is formatted as with {@code kafka-storage.sh format
 * --standalone}, then {@code KafkaRaftServer} starts with 127.0.0.1 listeners) and not Kafka's test kit,
 * whose pre-bound sockets listen on every interface whatever the listeners say. This class is the only
 * place that touches those server classes, so a Kafka upgrade that changes them is fixed here. Internal
 * topics (consumer offsets, transaction state) have one partition, replication factor 1 and min ISR 1,
 * which is what a single broker can serve; transactions, and so exactly-once sinks, work.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = new EmbeddedKafka()) {
 *   kafka.start();
 *   kafka.createTopic("events", 2, false);
 *   String bootstrap = kafka.bootstrapServers(); // 127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {

  /** The only address the broker and its controller listen on. */
  public static final String HOST = "127.0.0.1";

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, String> brokerConfig;
  private Optional<Running> running = Optional.empty();

  /** A started server, its client port and its data directory. */
  private record Running(KafkaRaftServer server, int port, Path dataDir) {}

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
   * @throws IllegalStateException if already started, or if the broker does not come up
   */
  public synchronized EmbeddedKafka start() {
    if (running.isPresent()) {
      throw new IllegalStateException("already started");
    }
    Path dataDir = null;
    KafkaRaftServer server = null;
    try {
      dataDir = Files.createTempDirectory("flowguard-kafka-");
      int port = freeLoopbackPort();
      int controllerPort = freeLoopbackPort();
      Properties props = serverProperties(dataDir, port, controllerPort);
      Path configFile = dataDir.resolve("server.properties");
      try (OutputStream out = Files.newOutputStream(configFile)) {
        props.store(out, "flowguard embedded Kafka");
      }
      format(configFile);
      server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      running = Optional.of(new Running(server, port, dataDir));
      awaitReady();
      return this;
    } catch (Exception | LinkageError e) {
      running = Optional.empty();
      if (server != null) {
        try {
          server.shutdown();
          server.awaitShutdown();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (dataDir != null) {
        deleteQuietly(dataDir);
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("embedded Kafka failed to start: " + e.getMessage(), e);
    }
  }

  private Properties serverProperties(Path dataDir, int port, int controllerPort) {
    Properties props = new Properties();
    props.setProperty("process.roles", "broker,controller");
    props.setProperty("node.id", "1");
    props.setProperty("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
    props.setProperty("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
    props.setProperty("controller.listener.names", "CONTROLLER");
    props.setProperty("inter.broker.listener.name", "PLAINTEXT");
    props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.setProperty("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
    props.setProperty("log.dirs", dataDir.resolve("logs").toString());
    props.setProperty("num.partitions", "1");
    props.putAll(brokerConfig);
    return props;
  }

  /** {@code kafka-storage.sh format --standalone}: a fresh cluster id and a one-voter dynamic quorum. */
  private static void format(Path configFile) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    int code;
    try (PrintStream print = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      code = StorageTool.execute(new String[] {"format", "--config", configFile.toString(),
          "--cluster-id", Uuid.randomUuid().toString(), "--standalone"}, print);
    }
    if (code != 0) {
      throw new IllegalStateException("formatting the broker's storage failed (exit " + code + "): "
          + text.toString(StandardCharsets.UTF_8));
    }
  }

  /** A port that was free on 127.0.0.1 a moment ago (the server binds it right after). */
  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return socket.getLocalPort();
    }
  }

  private void awaitReady() throws Exception {
    long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
    Properties props = clientProperties();
    props.setProperty(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.setProperty(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    try (Admin admin = Admin.create(props)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the broker did not become ready in " + ADMIN_TIMEOUT, e);
          }
        }
        Thread.sleep(50);
      }
    }
  }

  /** Whether the broker is running. */
  public synchronized boolean isRunning() {
    return running.isPresent();
  }

  /** The broker's bootstrap address ({@code 127.0.0.1:port}). */
  public synchronized String bootstrapServers() {
    return HOST + ":" + running().port();
  }

  /** The broker's client port on {@link #HOST}. */
  public synchronized int port() {
    return running().port();
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
    if (running.isEmpty()) {
      return;
    }
    Running r = running.get();
    running = Optional.empty();
    try {
      r.server().shutdown();
      r.server().awaitShutdown();
    } finally {
      deleteQuietly(r.dataDir());
    }
  }

  private Running running() {
    return running.orElseThrow(() -> new IllegalStateException("embedded Kafka is not running"));
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // A temporary directory left behind is not worth failing a test or the demo's exit for.
    }
  }
}
