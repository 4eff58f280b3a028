package io.flowguard.connectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.Event;
import io.flowguard.connectors.event.Origin;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.kafka.ConsumedRecord;
import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityResult;
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
 * The records that flow between Flink operators must be Flink POJOs: Kryo, the fallback, is slower
 * and breaks on state-schema evolution. Each must also survive its serializer unchanged.
 */
class RecordTypesTest {

  static Stream<Object> values() {
    Origin origin = new Origin("events", 1, 42);
    return Stream.of(
        new Event("k", "default", 5L, new double[] {1, 2}, origin),
        RawEvent.named("k", "m", 5L, new String[] {"a"}, new double[] {1}, new byte[] {1, 2},
            origin),
        RawEvent.positional("k", "m", 5L, new double[] {1, 2}, new byte[] {3}, Origin.NONE),
        new DeadLetter(DeadLetterReason.NOT_JSON, "bad", new byte[] {(byte) 0xff}, origin, 7L),
        new ScoredEvent("k", "m", "3", 5L, -1.5, 1.5, 0.2, false,
            new TypicalityResult[] {new TypicalityResult(10, Double.NaN, 0.5, false)},
            new String[] {"a", "b"}, new double[] {1, 2}),
        new ConsumedRecord(new byte[0], new byte[] {1}, "t", 0, 3L, 9L),
        new ModelRecord("m", new byte[] {1, 2, 3}, 4L, 5L),
        new ModelEvent("m", ModelEventKind.REJECTED, 4, 3, "WORSE_NLL", "worse", 2.5, Double.NaN, 100, 80, 20,
            1.5, "window", 9L));
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
}
