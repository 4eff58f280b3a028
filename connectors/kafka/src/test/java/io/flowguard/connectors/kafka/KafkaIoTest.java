package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaIoTest {

  @ParameterizedTest
  @ValueSource(strings = {
    "sasl.jaas.config", "ssl.key.password", "ssl.keystore.password", "ssl.truststore.password",
    "ssl.keystore.key", "basic.auth.credentials.source", "sasl.oauthbearer.token.endpoint.url",
    "schema.registry.api.key", "apikey", "client.secret", "SASL_JAAS_CONFIG", "my-access-key"
  })
  void secretValuesAreMasked(String key) {
    Properties p = new Properties();
    p.setProperty(key, "hunter2");
    assertEquals("******", KafkaIo.redacted(p).getProperty(key));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "bootstrap.servers", "key.serializer", "key.deserializer", "value.serializer",
    "sasl.login.callback.handler.class", "ssl.keystore.location", "ssl.keystore.type",
    "ssl.truststore.location", "ssl.keymanager.algorithm", "security.protocol", "sasl.mechanism",
    "partition.assignment.strategy", "transactional.id"
  })
  void ordinaryValuesStay(String key) {
    Properties p = new Properties();
    p.setProperty(key, "value");
    assertEquals("value", KafkaIo.redacted(p).getProperty(key));
  }

  @Test
  void redactedIsACopy() {
    Properties p = new Properties();
    p.setProperty("sasl.jaas.config", "secret");
    KafkaIo.redacted(p);
    assertEquals("secret", p.getProperty("sasl.jaas.config"));
  }

  @Test
  void sinkOptions() {
    SinkOptions eo = SinkOptions.exactlyOnce("flowguard-scores");
    assertEquals(DeliveryGuarantee.EXACTLY_ONCE, eo.guarantee());
    assertEquals("flowguard-scores", eo.transactionalIdPrefix());
    assertEquals(Duration.ofMinutes(15), eo.transactionTimeout());
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, SinkOptions.atLeastOnce().guarantee());
    assertThrows(IllegalArgumentException.class, () -> SinkOptions.exactlyOnce(" "));
    assertThrows(IllegalArgumentException.class,
        () -> eo.withTransactionTimeout(Duration.ZERO));
  }

  static Properties extra() {
    Properties extra = new Properties();
    extra.setProperty("security.protocol", "PLAINTEXT");
    extra.setProperty("request.timeout.ms", "12345");
    return extra;
  }

  @Test
  void anExactlyOnceSinkCarriesItsGuaranteePrefixTimeoutAndTheExtraProperties() throws Exception {
    KafkaSink<byte[]> sink = KafkaIo.sink("localhost:9092", new BytesSerializer("t"),
        SinkOptions.exactlyOnce("flowguard-scores").withTransactionTimeout(Duration.ofSeconds(42)),
        extra());
    assertEquals(DeliveryGuarantee.EXACTLY_ONCE, field(sink, "deliveryGuarantee"));
    assertEquals("flowguard-scores", field(sink, "transactionalIdPrefix"));
    Properties producer = (Properties) field(sink, "kafkaProducerConfig");
    assertEquals("localhost:9092", producer.getProperty("bootstrap.servers"));
    assertEquals("42000", producer.getProperty("transaction.timeout.ms"));
    assertEquals("PLAINTEXT", producer.getProperty("security.protocol"));
    assertEquals("12345", producer.getProperty("request.timeout.ms"));
  }

  @Test
  void anAtLeastOnceSinkCarriesItsGuaranteeAndTheExtraPropertiesAndNoTransactionSettings()
      throws Exception {
    KafkaSink<byte[]> sink = KafkaIo.sink("localhost:9092", new BytesSerializer("t"),
        SinkOptions.atLeastOnce(), extra());
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, field(sink, "deliveryGuarantee"));
    Properties producer = (Properties) field(sink, "kafkaProducerConfig");
    assertNull(producer.getProperty("transaction.timeout.ms"));
    assertEquals("PLAINTEXT", producer.getProperty("security.protocol"));
    assertEquals("12345", producer.getProperty("request.timeout.ms"));
  }

  @Test
  void theEventSourceReadsCommittedWithItsGroupAndTheExtraProperties() throws Exception {
    KafkaSource<ConsumedRecord> source =
        KafkaIo.eventSource("localhost:9092", List.of("events"), "g", extra());
    Properties consumer = (Properties) field(source, "props");
    assertEquals("localhost:9092", consumer.getProperty("bootstrap.servers"));
    assertEquals("g", consumer.getProperty("group.id"));
    assertEquals("read_committed", consumer.getProperty("isolation.level"));
    assertEquals("PLAINTEXT", consumer.getProperty("security.protocol"));
    assertEquals("12345", consumer.getProperty("request.timeout.ms"));
  }

  /**
   * A private field of a connector object: the Kafka connector has no public getters for what a sink
   * or source was built with. Fails (NoSuchFieldException) if a connector upgrade renames it.
   */
  static Object field(Object o, String name) throws ReflectiveOperationException {
    Field f = o.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(o);
  }
}
