package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.InputStream;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The reservoir's state as Flowguard 0.1 wrote it restores: each fixture under {@code state-compat/} holds
 * the serializer snapshot and one serialized value written by the 0.1 classes, exactly what a savepoint
 * keeps for a state entry. Flink restores such a state by resolving the snapshot against the current
 * serializer, reading with the restored (old) serializer and, after a migration, writing with the current one;
 * the test does the same.
 */
class ReservoirStateCompatibilityTest {

  @Test
  void aReservoirRowOfFlowguard01RestoresAsARowWithoutContext() throws IOException {
    ReservoirRow row = restore(ReservoirRow.class, "reservoir-row-0.1.bin");
    assertEquals(new ReservoirRow("pump-1", 1_700_000_000_000L, new double[] {1.5, -2.25, 3.0}), row);
    assertEquals(0, row.contextHistory().length);
    assertEquals(0, row.contextFields().length);
    assertEquals(0, row.historyEvents());
  }

  @Test
  void reservoirBookkeepingOfFlowguard01RestoresAsRowsWithoutContext() throws IOException {
    ReservoirMeta meta = restore(ReservoirMeta.class, "reservoir-meta-0.1.bin");
    assertEquals(new ReservoirMeta(new String[] {"a", "b", "c"}, 10, 25, 3), meta);
    assertEquals(0, meta.contextLayout());
  }

  /** Reads a fixture as a restore does, then writes and reads it with the current serializer. */
  static <T> T restore(Class<T> type, String fixture) throws IOException {
    byte[] bytes;
    try (InputStream in = ReservoirStateCompatibilityTest.class.getResourceAsStream("/state-compat/" + fixture)) {
      bytes = in.readAllBytes();
    }
    DataInputDeserializer in = new DataInputDeserializer(bytes);
    TypeSerializerSnapshot<T> old = TypeSerializerSnapshot.readVersionedSnapshot(in, type.getClassLoader());
    TypeSerializer<T> current = TypeInformation.of(type).createSerializer(new SerializerConfigImpl());
    TypeSerializerSchemaCompatibility<T> compatibility =
        current.snapshotConfiguration().resolveSchemaCompatibility(old);
    assertFalse(compatibility.isIncompatible(), type.getSimpleName() + ": " + compatibility);
    T value = old.restoreSerializer().deserialize(in);
    DataOutputSerializer out = new DataOutputSerializer(256);
    current.serialize(value, out);
    return current.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
  }
}
