package io.flowguard.connectors.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * The counts one subtask of a {@link CommitCountingSink} keeps for one run: records written, and what
 * became of them at commit. Its writer and committer share it (they run in the same slot, as the Kafka
 * sink's own writer and committer do, so in the same JVM), found by a key of the sink, the job, the
 * subtask and the attempt; the writer registers the metrics.
 */
final class CommitLedger {

  private static final Map<String, CommitLedger> OPEN = new ConcurrentHashMap<>();

  final AtomicLong written = new AtomicLong();
  final AtomicLong committed = new AtomicLong();
  final AtomicLong commitFailed = new AtomicLong();
  final AtomicLong recoveredCommitted = new AtomicLong();
  final AtomicLong recoveredUnconfirmed = new AtomicLong();
  private final String key;
  private int users;

  private CommitLedger(String key) {
    this.key = key;
  }

  /** The ledger of {@code key}, made on first use; {@link #release} it when done. */
  static CommitLedger acquire(String key) {
    return OPEN.compute(key, (k, l) -> {
      CommitLedger ledger = l == null ? new CommitLedger(k) : l;
      ledger.users++;
      return ledger;
    });
  }

  void release() {
    OPEN.computeIfPresent(key, (k, l) -> --l.users == 0 ? null : l);
  }

  /** Records of this run not committed yet (written since the last commit, or whose commit is retried). */
  long uncommitted() {
    return written.get() - committed.get() - commitFailed.get();
  }

  /** The metrics, under {@code group} (the sink writer's {@code flowguard} group). */
  void register(MetricGroup group) {
    group.counter("recordsWritten", new View(written));
    group.counter("recordsCommitted", new View(committed));
    group.counter("recordsCommitFailed", new View(commitFailed));
    group.gauge("recordsUncommitted", (Gauge<Long>) this::uncommitted);
    group.counter("recoveredRecordsCommitted", new View(recoveredCommitted));
    group.counter("recoveredRecordsUnconfirmed", new View(recoveredUnconfirmed));
  }

  /** A read-only counter over one of the counts (the ledger's owners change them). */
  private record View(AtomicLong count) implements Counter {
    @Override
    public void inc() {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void inc(long n) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void dec() {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public void dec(long n) {
      throw new UnsupportedOperationException("read-only");
    }

    @Override
    public long getCount() {
      return count.get();
    }
  }
}
