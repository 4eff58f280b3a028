package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import java.util.stream.Stream;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The retraining operator's state and output records are Flink POJOs (savepoint-compatible, no
 * Kryo: Kryo breaks on state-schema evolution) and survive their serializers unchanged.
 */
class RetrainStateTypesTest {

  static Stream<Object> values() {
    return Stream.of(
        new ReservoirRow("pump-1", 5L, new double[] {1, 2, 3}),
        new ReservoirRow("pump-1", 5L, new double[] {1, 2, 3}, new double[] {4, 5, 6, 7, 8, 9},
            new double[] {0.5}),
        new ReservoirMeta(new String[] {"a", "b"}, 10, 25, 3),
        new ReservoirMeta(new String[] {"a", "b"}, 10, 25, 3, 12345),
        new DriftStatus(2, 10, 3, 1, 0, true, 99L),
        new RetrainProgress(2, 3, 1000L, 1200L, 99L, 3, "drift", 2, true, 900L),
        new ModelTopicRecord("models-history", "m/0000000002", new byte[] {1, 2}));
  }

  @ParameterizedTest
  @MethodSource("values")
  <T> void isAFlinkPojoAndRoundTrips(T value) throws IOException {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) value.getClass();
    TypeInformation<T> info = TypeInformation.of(type);
    assertInstanceOf(PojoTypeInfo.class, info, type + " is not a Flink POJO: " + info);
    TypeSerializer<T> serializer = info.createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(value, out);
    T back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    assertEquals(value, back);
  }

  /**
   * The per-row cost of a time-aware model's reservoir (docs/retraining.md): a row of d features with a
   * context of j previous events and f declared fields is {@code 8 (j d + f)} bytes more than the same row
   * without, whose size is what it was before contexts were kept plus the two empty arrays' 10 bytes.
   */
  @org.junit.jupiter.api.Test
  void aRowsContextCostsEightBytesPerValue() throws IOException {
    TypeSerializer<ReservoirRow> serializer = TypeInformation.of(ReservoirRow.class)
        .createSerializer(new SerializerConfigImpl());
    double[] features = new double[10];
    int plain = size(serializer, new ReservoirRow("pump-0001", 5L, features));
    int withContext = size(serializer, new ReservoirRow("pump-0001", 5L, features, new double[16 * 10],
        new double[2]));
    System.out.printf("reservoir row, d = 10, key of 9 chars: %d bytes; with k = 16 and 2 fields: %d bytes%n",
        plain, withContext);
    assertEquals(8 * (16 * 10 + 2), withContext - plain);
  }

  private static int size(TypeSerializer<ReservoirRow> serializer, ReservoirRow row) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(row, out);
    return out.length();
  }
}
