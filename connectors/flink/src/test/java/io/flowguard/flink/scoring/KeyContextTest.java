package io.flowguard.flink.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.context.KeyHistory;
import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The {@code context-history} state record: a Flink POJO (Kryo, the fallback, breaks state-schema
 * evolution), its serialized size per key as docs/configuration.md states it, and the rule that decides
 * whether a model may read a key's history.
 */
class KeyContextTest {

  static KeyContext filled(String model, int window, int width, int events) {
    KeyHistory h = new KeyHistory(window, width);
    double[] row = new double[width];
    for (int e = 0; e < events; e++) {
      java.util.Arrays.fill(row, e + 0.5);
      h.append(row, 0, 1_000L * e);
    }
    KeyContext state = new KeyContext();
    state.copyFrom(model, KeyContext.schemaOf(List.of("a"), List.of(), window), h);
    return state;
  }

  static byte[] serialized(KeyContext state) throws IOException {
    TypeSerializer<KeyContext> serializer =
        TypeInformation.of(KeyContext.class).createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(256);
    serializer.serialize(state, out);
    return out.getCopyOfBuffer();
  }

  @Test
  void isAFlinkPojoThatRoundTripsWithItsHistory() throws IOException {
    assertInstanceOf(PojoTypeInfo.class, TypeInformation.of(KeyContext.class));
    KeyContext state = filled("pump", 4, 3, 6);
    KeyContext back = TypeInformation.of(KeyContext.class).createSerializer(new SerializerConfigImpl())
        .deserialize(new DataInputDeserializer(serialized(state)));
    assertEquals(state.model, back.model);
    assertEquals(state.schema, back.schema);
    assertEquals(state.width, back.width);
    assertArrayEquals(state.ring, back.ring, 0.0);
    assertEquals(state.head, back.head);
    assertEquals(state.count, back.count);
    assertEquals(state.newestTime, back.newestTime);
    KeyHistory restored = new KeyHistory(4, 3);
    back.copyTo(restored);
    assertEquals(4, restored.count());
    assertEquals(5_000L, restored.newestTime());
  }

  @Test
  void aKeysStateIsEightBytesPerValueOfItsWindowPlus37AndTheModelName() throws IOException {
    // docs/configuration.md: 8 k d + 37 bytes + the model name (UTF-8, 1 byte of length up to 127).
    String model = "default";
    int[][] kd = {{16, 1}, {16, 10}, {4, 3}};
    for (int[] c : kd) {
      int size = serialized(filled(model, c[0], c[1], c[0])).length;
      assertEquals(8 * c[0] * c[1] + 37 + model.length(), size, "k = " + c[0] + ", d = " + c[1]);
    }
  }

  @Test
  void aHistoryServesOnlyTheModelAndLayoutThatBuiltIt() {
    int schema = KeyContext.schemaOf(List.of("a"), List.of(), 4);
    KeyContext state = filled("pump", 4, 1, 2);
    assertTrue(state.serves("pump", schema, 1, 4), "the same name and layout: any version");
    assertFalse(state.serves("fan", schema, 1, 4), "another model");
    assertFalse(state.serves("pump", KeyContext.schemaOf(List.of("a"), List.of(), 6), 1, 6), "another window");
    assertFalse(state.serves("pump", KeyContext.schemaOf(List.of("b"), List.of(), 4), 1, 4), "other features");
    assertFalse(state.serves("pump", KeyContext.schemaOf(List.of("a"), List.of("setpoint"), 4), 1, 4),
        "other context fields");
  }
}
