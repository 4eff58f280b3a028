package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
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
    assertEquals(Duration.ofSeconds(60), eo.transactionTimeout());
    assertEquals(DeliveryGuarantee.AT_LEAST_ONCE, SinkOptions.atLeastOnce().guarantee());
    assertThrows(IllegalArgumentException.class, () -> SinkOptions.exactlyOnce(" "));
    assertThrows(IllegalArgumentException.class,
        () -> eo.withTransactionTimeout(Duration.ZERO));
    // Builders accept the options and pass-through properties.
    Properties extra = new Properties();
    extra.setProperty("security.protocol", "PLAINTEXT");
    KafkaIo.sink("localhost:9092", new BytesSerializer("t"), eo, extra);
    KafkaIo.sink("localhost:9092", new BytesSerializer("t"), SinkOptions.atLeastOnce(), extra);
    KafkaIo.eventSource("localhost:9092", List.of("events"), "g", extra);
  }
}
