package io.flowguard.connectors.kafka;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * A start-up check that the Kafka cluster answers, so that a job pointed at the wrong address or a
 * broker that is down fails at once with one clear message, instead of starting and filling its logs
 * with the clients' reconnection warnings (thousands of lines a minute) while nothing happens.
 */
public final class BrokerCheck {

  /** How long the check waits by default: well under the 30 s an operator should wait for an answer. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

  private BrokerCheck() {}

  /**
   * Asks the cluster for its brokers (a metadata request), waiting at most {@code timeout}.
   *
   * @param clientProperties {@code bootstrap.servers} and any security settings
   * @throws IllegalStateException naming the bootstrap servers, what went wrong and what to check
   */
  public static void requireReachable(Properties clientProperties, Duration timeout) {
    String servers = clientProperties.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "");
    Properties p = new Properties();
    for (String k : clientProperties.stringPropertyNames()) {
      if (AdminClientConfig.configNames().contains(k)) {
        p.setProperty(k, clientProperties.getProperty(k));
      }
    }
    int ms = (int) Math.max(1, timeout.toMillis());
    p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(ms));
    p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(ms));
    // One reconnection attempt per second at most while we wait, not the default 50 ms backoff.
    p.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "1000");
    p.setProperty(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    try (Admin admin = Admin.create(p)) {
      int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).nodes()
          .get(ms + 1000L, TimeUnit.MILLISECONDS).size();
      if (brokers == 0) {
        throw new IllegalStateException("Kafka at " + servers + " answered but has no brokers");
      }
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("Kafka is not reachable at " + servers + " (no answer within "
          + timeout.toSeconds() + " s: " + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + "). Check"
          + " bootstrap.servers, that the brokers run and that this machine can reach them, and the"
          + " kafka.security.protocol / SASL / SSL settings.", cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking Kafka at " + servers, e);
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new IllegalStateException("cannot connect to Kafka at " + servers + ": "
          + e.getMessage() + "; check bootstrap.servers and the kafka.* client settings", e);
    }
  }
}
