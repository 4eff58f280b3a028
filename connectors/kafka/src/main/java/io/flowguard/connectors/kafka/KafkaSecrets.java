package io.flowguard.connectors.kafka;

import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * Masks secret-looking Kafka client properties before they are logged. Free of Flink, unlike
 * {@link KafkaIo}, so that the flowguard CLI (which has no Flink on its classpath) can use it.
 */
public final class KafkaSecrets {

  private static final String MASK = "******";

  // Property-name parts that mark a value as secret.
  private static final List<String> SECRET_WORDS =
      List.of("password", "passwd", "secret", "jaas", "token", "credential");
  // A final part naming a class: its value is a class name, useful in logs and never a secret
  // (key.serializer, value.deserializer, ...).
  private static final Set<String> CLASS_SUFFIXES =
      Set.of("serializer", "deserializer", "class", "classes");

  private KafkaSecrets() {}

  /**
   * A copy of the properties fit for logging: values of secret-looking keys are masked.
   *
   * <p>A key is secret when one of its parts (split at '.', '_' and '-', case-insensitive) contains
   * password, passwd, secret, jaas, token or credential, or is or ends with "key" (ssl.key.password,
   * ssl.keystore.key, api.key, apikey) — unless its last part names a class (serializer,
   * deserializer, class, classes), as in key.serializer: class names are never secret and are worth
   * seeing. Keystore and truststore locations and types are not masked.
   */
  public static Properties redacted(Properties props) {
    Properties copy = new Properties();
    for (String k : props.stringPropertyNames()) {
      copy.setProperty(k, isSecret(k) ? MASK : props.getProperty(k));
    }
    return copy;
  }

  /** Whether a property's value should be masked in logs; see {@link #redacted}. */
  public static boolean isSecret(String propertyName) {
    String[] parts = propertyName.toLowerCase(Locale.ROOT).split("[._-]");
    if (parts.length == 0 || CLASS_SUFFIXES.contains(parts[parts.length - 1])) {
      return false;
    }
    for (String part : parts) {
      if (part.endsWith("key")) {
        return true;
      }
      for (String word : SECRET_WORDS) {
        if (part.contains(word)) {
          return true;
        }
      }
    }
    return false;
  }
}
