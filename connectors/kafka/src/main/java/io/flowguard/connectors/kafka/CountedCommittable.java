package io.flowguard.connectors.kafka;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * What a {@link CommitCountingSink} hands from its writer to its committer at a checkpoint: the Kafka
 * transaction (absent when the sink is not exactly-once: its records were flushed at the checkpoint),
 * how many records it holds, when its first record was written, and which run wrote it (job id and
 * attempt), so that the committer can tell its own transactions from those restored from a checkpoint.
 * Internal to the sink; public only because the sink's committer type names it.
 */
public final class CountedCommittable {

  private final KafkaCommittable transaction; // null: no transaction (at-least-once)
  private final long records;
  private final long firstWriteMillis;
  private final String run;

  CountedCommittable(KafkaCommittable transaction, long records, long firstWriteMillis, String run) {
    this.transaction = transaction;
    this.records = records;
    this.firstWriteMillis = firstWriteMillis;
    this.run = Objects.requireNonNull(run, "run");
  }

  Optional<KafkaCommittable> transaction() {
    return Optional.ofNullable(transaction);
  }

  long records() {
    return records;
  }

  long firstWriteMillis() {
    return firstWriteMillis;
  }

  String run() {
    return run;
  }

  /** The same count for another transaction handle (the committer may update one to retry it). */
  CountedCommittable with(KafkaCommittable updated) {
    return new CountedCommittable(updated, records, firstWriteMillis, run);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CountedCommittable c && Objects.equals(transaction, c.transaction)
        && records == c.records && firstWriteMillis == c.firstWriteMillis && run.equals(c.run);
  }

  @Override
  public int hashCode() {
    return Objects.hash(transaction, records, firstWriteMillis, run);
  }

  @Override
  public String toString() {
    return "CountedCommittable[" + (transaction == null ? "no transaction" : transaction) + ", records="
        + records + ", run=" + run + "]";
  }

  /**
   * The committer's state format. Its version is above any version of the Kafka committable serializer,
   * so that the committables of a checkpoint taken by an earlier build (plain Kafka committables, under
   * that serializer's version) still restore: they count as restored transactions of unknown size.
   */
  static final class Serializer implements SimpleVersionedSerializer<CountedCommittable> {

    static final int VERSION = 1001;
    private static final int FIRST_OWN_VERSION = 1000;

    private final SimpleVersionedSerializer<KafkaCommittable> transactions;

    Serializer(SimpleVersionedSerializer<KafkaCommittable> transactions) {
      this.transactions = Objects.requireNonNull(transactions, "transactions");
    }

    @Override
    public int getVersion() {
      return VERSION;
    }

    @Override
    public byte[] serialize(CountedCommittable c) throws IOException {
      DataOutputSerializer out = new DataOutputSerializer(128);
      out.writeLong(c.records);
      out.writeLong(c.firstWriteMillis);
      out.writeUTF(c.run);
      out.writeBoolean(c.transaction != null);
      if (c.transaction != null) {
        byte[] t = transactions.serialize(c.transaction);
        out.writeInt(transactions.getVersion());
        out.writeInt(t.length);
        out.write(t);
      }
      return out.getCopyOfBuffer();
    }

    @Override
    public CountedCommittable deserialize(int version, byte[] bytes) throws IOException {
      if (version < FIRST_OWN_VERSION) {
        return new CountedCommittable(transactions.deserialize(version, bytes), 0, 0, "");
      }
      if (version != VERSION) {
        throw new IOException("unknown committable version " + version + " (this build reads "
            + VERSION + " and the Kafka sink's own)");
      }
      DataInputDeserializer in = new DataInputDeserializer(bytes);
      long records = in.readLong();
      long firstWrite = in.readLong();
      String run = in.readUTF();
      KafkaCommittable transaction = null;
      if (in.readBoolean()) {
        int v = in.readInt();
        byte[] t = new byte[in.readInt()];
        in.readFully(t);
        transaction = transactions.deserialize(v, t);
      }
      return new CountedCommittable(transaction, records, firstWrite, run);
    }
  }
}
