package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EmbeddedKafkaTest {

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void startsProducesConsumesAndCommitsTransactions() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      assertFalse(kafka.isRunning());
      assertThrows(IllegalStateException.class, kafka::bootstrapServers);
      kafka.start();
      assertTrue(kafka.isRunning());
      assertThrows(IllegalStateException.class, kafka::start);
      assertTrue(kafka.bootstrapServers().contains(":"));

      assertTrue(kafka.createTopic("plain", 2, false));
      assertFalse(kafka.createTopic("plain", 2, false));
      assertTrue(kafka.createTopic("compacted", 1, true));
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        TopicDescription d = admin.describeTopics(List.of("plain")).allTopicNames().get()
            .get("plain");
        assertEquals(2, d.partitions().size());
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "compacted");
        assertEquals("compact", admin.describeConfigs(List.of(r)).all().get().get(r)
            .get("cleanup.policy").value());
      }

      // A transactional producer needs the transaction-state topic, i.e. replication factor 1.
      Properties pp = kafka.clientProperties();
      pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-test");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("plain", "k", "aborted"));
        producer.abortTransaction();
        producer.beginTransaction();
        for (int i = 0; i < 5; i++) {
          producer.send(new ProducerRecord<>("plain", "k" + i, "v" + i));
        }
        producer.commitTransaction();
      }

      Properties cp = kafka.clientProperties();
      cp.put(ConsumerConfig.GROUP_ID_CONFIG, "embedded-test");
      cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer =
          new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        consumer.subscribe(List.of("plain"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (values.size() < 5 && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            values.add(r.value());
          }
        }
      }
      values.sort(null);
      assertEquals(List.of("v0", "v1", "v2", "v3", "v4"), values);
    }
  }

  @Test
  void closeWithoutStartIsANoOp() {
    EmbeddedKafka kafka = new EmbeddedKafka();
    kafka.close();
    assertFalse(kafka.isRunning());
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void brokerOverridesReachTheBroker() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka(Map.of("num.partitions", "3"))) {
      kafka.start();
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        // A topic created without a partition count gets the broker's num.partitions.
        admin.createTopics(List.of(new NewTopic("defaulted", Optional.empty(), Optional.empty())))
            .all().get();
        assertEquals(3, admin.describeTopics(List.of("defaulted")).allTopicNames().get()
            .get("defaulted").partitions().size());
      }
    }
  }

  /**
   * Issue 19: the broker must not be reachable from the network. A socket bound to 127.0.0.1 accepts
   * connections to 127.0.0.1 only; one bound to every interface (as Kafka's test kit binds) would also
   * accept them on 127.0.0.2, which Linux routes to the loopback device, and on the host's own addresses.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void listensOnTheLoopbackAddressOnly() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka().start()) {
      int port = kafka.port();
      assertEquals("127.0.0.1:" + port, kafka.bootstrapServers());
      assertTrue(connects(InetAddress.getByName("127.0.0.1"), port), "reachable on 127.0.0.1");
      List<InetAddress> others = new ArrayList<>();
      others.add(InetAddress.getByName("127.0.0.2"));
      for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress address : java.util.Collections.list(nic.getInetAddresses())) {
          if (!address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
            others.add(address);
          }
        }
      }
      for (InetAddress other : others) {
        assertFalse(connects(other, port), "the broker must not accept connections on " + other);
      }
    }
  }

  private static boolean connects(InetAddress address, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
