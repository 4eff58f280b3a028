package io.flowguard.connectors.kafka;

import java.time.Duration;
import java.util.Objects;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * How a Kafka sink delivers.
 *
 * @param guarantee EXACTLY_ONCE (Kafka transactions committed on checkpoints; output becomes visible
 *     to read_committed consumers only after a checkpoint) or AT_LEAST_ONCE (flush on checkpoints;
 *     duplicates possible after a failure, but no checkpoint latency)
 * @param transactionalIdPrefix required for EXACTLY_ONCE and unique per sink across every job that
 *     writes to the same cluster: Kafka fences producers by transactional id; empty otherwise
 * @param transactionTimeout must exceed the longest checkpoint interval plus a restart, and not exceed
 *     the broker's transaction.max.timeout.ms (15 min by default)
 */
public record SinkOptions(
    DeliveryGuarantee guarantee, String transactionalIdPrefix, Duration transactionTimeout) {

  /**
   * The default transaction timeout, 15 minutes: the most a broker allows by default
   * ({@code transaction.max.timeout.ms}). A transaction must outlive the checkpoint that commits it,
   * and after a TaskManager is lost that is the heartbeat timeout (50 s), the restart and a checkpoint:
   * a shorter timeout lets the broker abort output that Flink then cannot commit.
   */
  public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

  public SinkOptions {
    Objects.requireNonNull(guarantee, "guarantee");
    Objects.requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
    Objects.requireNonNull(transactionTimeout, "transactionTimeout");
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE && transactionalIdPrefix.isBlank()) {
      throw new IllegalArgumentException("EXACTLY_ONCE needs a transactional id prefix");
    }
    if (transactionTimeout.isNegative() || transactionTimeout.isZero()) {
      throw new IllegalArgumentException("transactionTimeout must be positive");
    }
  }

  /** Exactly-once with the default transaction timeout. */
  public static SinkOptions exactlyOnce(String transactionalIdPrefix) {
    return new SinkOptions(
        DeliveryGuarantee.EXACTLY_ONCE, transactionalIdPrefix, DEFAULT_TRANSACTION_TIMEOUT);
  }

  /** At-least-once. */
  public static SinkOptions atLeastOnce() {
    return new SinkOptions(DeliveryGuarantee.AT_LEAST_ONCE, "", DEFAULT_TRANSACTION_TIMEOUT);
  }

  /** The same options with another transaction timeout. */
  public SinkOptions withTransactionTimeout(Duration timeout) {
    return new SinkOptions(guarantee, transactionalIdPrefix, timeout);
  }
}
