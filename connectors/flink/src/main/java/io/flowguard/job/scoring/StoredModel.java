package io.flowguard.job.scoring;

import java.util.Arrays;
import java.util.Objects;

/**
 * A model as the scoring operator keeps it in broadcast state: its name, version and the model file's
 * bytes, exactly as received. Keeping the file rather than parsed objects makes the state
 * savepoint-friendly: it survives any change to the in-memory model classes, and a restored job
 * parses it again with {@code ModelFormat.read}.
 *
 * <p>A withdrawn model (a tombstone on the model topic) is kept as a marker with version 0 and no
 * bytes, so that its events are dead-lettered as {@code UNKNOWN_MODEL} instead of waiting; any later
 * model file of that name is accepted again.
 *
 * <p>The bytes are not copied; callers must not modify them.
 *
 * @param name the model name
 * @param version the model version (at least 1), or 0 for a withdrawn model
 * @param bytes the model file, or empty for a withdrawn model
 */
public record StoredModel(String name, int version, byte[] bytes) {

  private static final byte[] NONE = new byte[0];

  public StoredModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(bytes, "bytes");
    if (version < 0 || (version == 0) != (bytes.length == 0)) {
      throw new IllegalArgumentException("a model has version >= 1 and bytes; a withdrawal neither");
    }
  }

  /** The marker of a withdrawn model. */
  public static StoredModel withdrawn(String name) {
    return new StoredModel(name, 0, NONE);
  }

  public boolean isWithdrawn() {
    return version == 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredModel m && name.equals(m.name) && version == m.version
        && Arrays.equals(bytes, m.bytes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, version, Arrays.hashCode(bytes));
  }

  @Override
  public String toString() {
    return "StoredModel[" + name + " v" + version + ", " + bytes.length + " bytes]";
  }
}
