package io.flowguard.connectors.kafka;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.InitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink.PrecommittingStatefulSinkWriter;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KafkaSink} that counts its records through to Kafka's commit, so that a commit that fails
 * shows as records lost instead of hiding in a log line (issue 19 item 5). Flink's Kafka committer does
 * not fail the job when Kafka refuses to commit a transaction (a fenced producer, a transaction the
 * broker aborted after {@code transaction.timeout.ms}): it logs an ERROR and drops the transaction, and
 * the same ERROR appears, benign, after every restore. Only the committer learns the outcome, and only
 * this wrapper knows how many records each transaction holds.
 *
 * <p>Per subtask, in the writer's metric group under {@code flowguard}, counting this run (since the
 * job last started or restored):
 *
 * <ul>
 *   <li>{@code recordsWritten}: records the sink wrote;
 *   <li>{@code recordsCommitted}: those whose transaction Kafka committed (not exactly-once: those
 *       flushed at a completed checkpoint);
 *   <li>{@code recordsCommitFailed}: those whose transaction Kafka refused to commit: they are not in
 *       the output, a real loss, also logged at ERROR by this class;
 *   <li>{@code recordsUncommitted} (gauge): written minus committed minus failed: the records since the
 *       last checkpoint's barrier, plus any whose commit is being retried; 0 once input stops and a
 *       checkpoint completes;
 *   <li>{@code recoveredRecordsCommitted}: records of transactions restored from a checkpoint (written by
 *       an earlier run) that this run committed, or that Kafka refused within their transaction timeout,
 *       which means the earlier run had committed them (the benign "already fenced" ERROR of Flink's
 *       committer);
 *   <li>{@code recoveredRecordsUnconfirmed}: records of restored transactions that Kafka refused after
 *       their transaction timeout had passed: lost if the earlier run had not committed them (it crashed
 *       between the checkpoint and the commit, and recovery took longer than the timeout).
 * </ul>
 *
 * <p>The writer and the committer of a subtask share the counts in memory, so this sink keeps them in
 * one slot (a co-location group), as the Kafka sink itself does for exactly-once.
 *
 * @param <IN> the record type
 */
public final class CommitCountingSink<IN> implements Sink<IN>,
    SupportsWriterState<IN, KafkaWriterState>, SupportsCommitter<CountedCommittable>,
    SupportsPostCommitTopology<CountedCommittable>, LineageVertexProvider {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(CommitCountingSink.class);

  private final KafkaSink<IN> delegate;
  private final long transactionTimeoutMillis;
  /** Names this sink's ledgers: the writer and the committer get copies of the same sink. */
  private final String id = UUID.randomUUID().toString();

  /**
   * @param delegate the Kafka sink
   * @param transactionTimeout its producers' {@code transaction.timeout.ms}: Kafka cannot have aborted a
   *     restored transaction sooner than this after its first record, so one it refuses to commit
   *     sooner was committed by the earlier run
   */
  public CommitCountingSink(KafkaSink<IN> delegate, Duration transactionTimeout) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.transactionTimeoutMillis = transactionTimeout.toMillis();
  }

  @Override
  public StatefulSinkWriter<IN, KafkaWriterState> createWriter(WriterInitContext context)
      throws IOException {
    return new Writer<>(delegate.createWriter(context), context, id);
  }

  @Override
  public StatefulSinkWriter<IN, KafkaWriterState> restoreWriter(WriterInitContext context,
      Collection<KafkaWriterState> state) throws IOException {
    return new Writer<>(delegate.restoreWriter(context, state), context, id);
  }

  @Override
  public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
    return delegate.getWriterStateSerializer();
  }

  @Override
  public Committer<CountedCommittable> createCommitter(CommitterInitContext context)
      throws IOException {
    return new CountingCommitter(delegate.createCommitter(context), context, id,
        transactionTimeoutMillis);
  }

  @Override
  public SimpleVersionedSerializer<CountedCommittable> getCommittableSerializer() {
    return new CountedCommittable.Serializer(delegate.getCommittableSerializer());
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void addPostCommitTopology(DataStream<CommittableMessage<CountedCommittable>> committables) {
    // The Kafka sink co-locates its writer and committer when exactly-once (it only looks at the
    // transformations, not at the committable type); otherwise this sink does, for its ledger.
    delegate.addPostCommitTopology((DataStream) committables);
    Transformation<?> committer = committables.getTransformation();
    if (committer.getCoLocationGroupKey() == null) {
      String group = "flowguard-commit-ledger-" + id;
      committer.setCoLocationGroupKey(group);
      committer.getInputs().get(0).setCoLocationGroupKey(group);
    }
  }

  @Override
  public LineageVertex getLineageVertex() {
    return delegate.getLineageVertex();
  }

  /** The ledger key of a subtask's run: the same for its writer and its committer. */
  static String ledgerKey(String sinkId, InitContext context) {
    return sinkId + "/" + context.getJobInfo().getJobId() + "/"
        + context.getTaskInfo().getIndexOfThisSubtask() + "/" + run(context);
  }

  /** This run: the job and the attempt (a restart or a resubmission is another run). */
  static String run(InitContext context) {
    return context.getJobInfo().getJobId() + "#" + context.getTaskInfo().getAttemptNumber();
  }

  /** The Kafka writer, counting what it writes and labelling each transaction with its count. */
  private static final class Writer<IN> implements StatefulSinkWriter<IN, KafkaWriterState>,
      CommittingSinkWriter<IN, CountedCommittable> {

    private final PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> delegate;
    private final CommitLedger ledger;
    private final String run;
    private long pending;
    private long firstWriteMillis;

    @SuppressWarnings("unchecked")
    Writer(StatefulSinkWriter<IN, KafkaWriterState> delegate, WriterInitContext context,
        String sinkId) {
      this.delegate =
          (PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable>) delegate;
      this.ledger = CommitLedger.acquire(ledgerKey(sinkId, context));
      this.run = run(context);
      ledger.register(context.metricGroup().addGroup("flowguard"));
    }

    @Override
    public void write(IN element, Context context) throws IOException, InterruptedException {
      delegate.write(element, context);
      if (pending == 0) {
        firstWriteMillis = System.currentTimeMillis();
      }
      pending++;
      ledger.written.incrementAndGet();
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
      delegate.flush(endOfInput);
    }

    @Override
    public void writeWatermark(Watermark watermark) throws IOException, InterruptedException {
      delegate.writeWatermark(watermark);
    }

    @Override
    public Collection<CountedCommittable> prepareCommit() throws IOException, InterruptedException {
      Collection<KafkaCommittable> transactions = delegate.prepareCommit();
      List<CountedCommittable> out = new ArrayList<>(Math.max(1, transactions.size()));
      long records = pending;
      for (KafkaCommittable t : transactions) {
        out.add(new CountedCommittable(t, records, firstWriteMillis, run));
        records = 0; // one transaction per checkpoint: it holds every record since the last one
      }
      if (transactions.isEmpty() && pending > 0) {
        // Not exactly-once: the records were flushed before the barrier; they count as committed
        // when this checkpoint completes.
        out.add(new CountedCommittable(null, pending, firstWriteMillis, run));
      }
      pending = 0;
      return out;
    }

    @Override
    public List<KafkaWriterState> snapshotState(long checkpointId) throws IOException {
      return delegate.snapshotState(checkpointId);
    }

    @Override
    public void close() throws Exception {
      try {
        delegate.close();
      } finally {
        ledger.release();
      }
    }
  }

  /** The Kafka committer, settling each transaction's count by what Kafka answered. */
  private static final class CountingCommitter implements Committer<CountedCommittable> {

    private final Committer<KafkaCommittable> delegate;
    private final CommitLedger ledger;
    private final String run;
    private final long transactionTimeoutMillis;

    CountingCommitter(Committer<KafkaCommittable> delegate, CommitterInitContext context,
        String sinkId, long transactionTimeoutMillis) {
      this.delegate = delegate;
      this.ledger = CommitLedger.acquire(ledgerKey(sinkId, context));
      this.run = run(context);
      this.transactionTimeoutMillis = transactionTimeoutMillis;
    }

    @Override
    public void commit(Collection<CommitRequest<CountedCommittable>> requests)
        throws IOException, InterruptedException {
      List<Request> transactions = new ArrayList<>(requests.size());
      for (CommitRequest<CountedCommittable> r : requests) {
        if (r.getCommittable().transaction().isPresent()) {
          transactions.add(new Request(r));
        } else {
          settle(r.getCommittable(), Outcome.COMMITTED, null); // flushed at the checkpoint
        }
      }
      if (transactions.isEmpty()) {
        return;
      }
      delegate.commit(new ArrayList<>(transactions));
      for (Request r : transactions) {
        if (!r.answered) {
          settle(r.counted, Outcome.COMMITTED, null); // no signal: Flink marks it committed
        }
      }
    }

    private void settle(CountedCommittable c, Outcome outcome, Throwable cause) {
      long n = c.records();
      boolean ours = c.run().equals(run);
      if (outcome == Outcome.COMMITTED) {
        (ours ? ledger.committed : ledger.recoveredCommitted).addAndGet(n);
        return;
      }
      String transaction = c.transaction().map(KafkaCommittable::getTransactionalId).orElse("?");
      if (ours) {
        ledger.commitFailed.addAndGet(n);
        LOG.error("Lost {} record(s): Kafka refused to commit transaction {} that this run wrote ({});"
            + " they are not in the output (metric recordsCommitFailed)", n, transaction,
            cause, cause);
        return;
      }
      long age = System.currentTimeMillis() - c.firstWriteMillis();
      if (c.firstWriteMillis() > 0 && age < transactionTimeoutMillis) {
        // Kafka aborts a transaction only after its timeout (or when another producer takes its
        // transactional id, which the restored writer never does for a checkpoint's own
        // transactions): refused sooner, it was completed, i.e. committed by the earlier run.
        ledger.recoveredCommitted.addAndGet(n);
        LOG.info("Restored transaction {} ({} record(s), written {} ms ago, under the {} ms"
            + " transaction timeout) was already committed by the previous run", transaction, n, age,
            transactionTimeoutMillis);
        return;
      }
      ledger.recoveredUnconfirmed.addAndGet(n);
      LOG.error("{} record(s) may be lost: Kafka refused to commit restored transaction {}, written"
          + " {} ms ago by an earlier run, after its transaction timeout of {} ms ({}); they are in the"
          + " output only if that run committed them before it stopped (metric"
          + " recoveredRecordsUnconfirmed)", n, transaction, age, transactionTimeoutMillis,
          String.valueOf(cause));
    }

    @Override
    public void close() throws Exception {
      try {
        delegate.close();
      } finally {
        ledger.release();
      }
    }

    private enum Outcome { COMMITTED, FAILED }

    /** One transaction's request as the Kafka committer sees it; notes what it answered. */
    private final class Request implements CommitRequest<KafkaCommittable> {
      private final CommitRequest<CountedCommittable> outer;
      private CountedCommittable counted;
      /** Whether the Kafka committer signalled anything (a failure, a retry, already committed). */
      private boolean answered;

      Request(CommitRequest<CountedCommittable> outer) {
        this.outer = outer;
        this.counted = outer.getCommittable();
      }

      @Override
      public KafkaCommittable getCommittable() {
        return counted.transaction().orElseThrow();
      }

      @Override
      public int getNumberOfRetries() {
        return outer.getNumberOfRetries();
      }

      @Override
      public void signalFailedWithKnownReason(Throwable t) {
        answered = true;
        settle(counted, Outcome.FAILED, t);
        outer.signalFailedWithKnownReason(t);
      }

      @Override
      public void signalFailedWithUnknownReason(Throwable t) {
        // Settled first: Flink fails the job here.
        answered = true;
        settle(counted, Outcome.FAILED, t);
        outer.signalFailedWithUnknownReason(t);
      }

      @Override
      public void retryLater() {
        answered = true; // not settled: retried at the next checkpoint
        outer.retryLater();
      }

      @Override
      public void updateAndRetryLater(KafkaCommittable committable) {
        answered = true;
        counted = counted.with(committable);
        outer.updateAndRetryLater(counted);
      }

      @Override
      public String toString() {
        return counted.toString(); // Flink's committer names the request in its log lines
      }

      @Override
      public void signalAlreadyCommitted() {
        answered = true;
        settle(counted, Outcome.COMMITTED, null);
        outer.signalAlreadyCommitted();
      }
    }
  }
}
