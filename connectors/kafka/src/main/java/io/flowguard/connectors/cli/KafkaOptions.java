package io.flowguard.connectors.cli;

import java.util.Map;
import java.util.Properties;

/** Kafka client properties from the commands' {@code --bootstrap-servers} and {@code --kafka-property}. */
final class KafkaOptions {

  private KafkaOptions() {}

  static Properties properties(String bootstrapServers, Map<String, String> extra) {
    Properties props = new Properties();
    props.putAll(extra);
    props.put("bootstrap.servers", bootstrapServers);
    return props;
  }
}
