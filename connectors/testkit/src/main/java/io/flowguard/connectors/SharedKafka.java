package io.flowguard.connectors;

import io.flowguard.connectors.kafka.EmbeddedKafka;

/**
 * One embedded broker for all test classes of this JVM: starting one costs seconds, and the tests use
 * distinct topics. Closed (and its data deleted) when the JVM exits.
 */
public final class SharedKafka {

  private static EmbeddedKafka kafka;

  private SharedKafka() {}

  public static synchronized EmbeddedKafka get() {
    if (kafka == null) {
      EmbeddedKafka started = new EmbeddedKafka().start();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "embedded-kafka-close"));
      kafka = started;
    }
    return kafka;
  }
}
