package io.flowguard.connectors.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * A model file in transport: its name and its bytes, unparsed (parsing and checksum verification are
 * the model format's job, downstream).
 *
 * <p>From the model topic: the name is the record key, offset and timestamp are the record's, and
 * empty bytes are a tombstone ({@link #isDeletion()}): the model was withdrawn. From a model directory:
 * the name is the file name without its {@code .fgm} extension (the name inside the file is known only
 * once parsed; keep them equal), the offset is -1 and the timestamp is the file's modification time.
 *
 * <p>The bytes are copied on construction and returned without a copy; callers must not modify them.
 *
 * @param name the model name
 * @param bytes the model file's bytes; empty for a deletion
 * @param offset the model-topic offset; -1 for a file
 * @param timestamp the record timestamp or file modification time, epoch ms
 * @param signature the Ed25519 signature that came with the record (the {@code flowguard.signature}
 *     header, or a model file's {@code .sig} file); empty when unsigned
 */
public record ModelRecord(String name, byte[] bytes, long offset, long timestamp, byte[] signature) {

  private static final byte[] UNSIGNED = new byte[0];

  /** An unsigned record. */
  public ModelRecord(String name, byte[] bytes, long offset, long timestamp) {
    this(name, bytes, offset, timestamp, UNSIGNED);
  }

  /** The largest model file any model source accepts, 32 MiB (Kafka's default record limit is 1 MiB). */
  public static final int MAX_MODEL_BYTES = 32 << 20;

  public ModelRecord {
    Objects.requireNonNull(name, "name");
    bytes = Objects.requireNonNull(bytes, "bytes").clone();
    signature = Objects.requireNonNull(signature, "signature").clone();
  }

  /** Whether this record withdraws the model (a tombstone on the model topic). */
  public boolean isDeletion() {
    return bytes.length == 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelRecord r
        && name.equals(r.name)
        && Arrays.equals(bytes, r.bytes)
        && offset == r.offset
        && timestamp == r.timestamp
        && Arrays.equals(signature, r.signature);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(bytes), offset, timestamp, Arrays.hashCode(signature));
  }

  @Override
  public String toString() {
    return "ModelRecord[" + name + ", " + bytes.length + " bytes, offset=" + offset
        + ", timestamp=" + timestamp + (signature.length > 0 ? ", signed" : "") + "]";
  }
}
