package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelFormatException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The optional lineage of a model's provenance in the model file: round trip, old files, corruption. */
class LineageFormatTest {

  private static final FlowModel PLAIN = ModelFormatTest.model(FlowSpec.of(FlowSpec.MAF, 3).withLayers(1)
      .withHidden(8), 5);
  private static final Lineage RETRAINED = new Lineage(OptionalInt.of(3), Lineage.Trigger.SCHEDULED,
      "reservoir of 5000 normal events, 2026-12-01T08:00:00Z..2026-12-01T09:00:00Z", 5000, OptionalInt.empty(),
      11.25, 12.5);

  private static FlowModel withLineage(FlowModel m, Lineage l) {
    return new FlowModel(m.name(), m.version(), m.preprocessor(), m.flow(), m.calibration(),
        m.provenance().withLineage(l));
  }

  @Test
  void lineageRoundTripsThroughTheModelFile() throws IOException {
    FlowModel m = withLineage(PLAIN, RETRAINED);
    FlowModel back = ModelFormat.read(ModelFormat.toBytes(m));
    assertEquals(m.provenance(), back.provenance());
    assertEquals(RETRAINED, back.provenance().lineage().orElseThrow());
  }

  @Test
  void rollbackLineageAndAbsentFiguresRoundTrip() throws IOException {
    Lineage rollback = Lineage.rollback(2, 7, "parameters of v2", 1234);
    FlowModel back = ModelFormat.read(ModelFormat.toBytes(withLineage(PLAIN, rollback)));
    Lineage l = back.provenance().lineage().orElseThrow();
    assertEquals(rollback, l);
    assertEquals(OptionalInt.of(2), l.rollbackOf());
    assertTrue(Double.isNaN(l.heldOutNll()), "NaN survives as JSON null");
    assertEquals("rollback of v2 (replacing v7)", l.summary());
  }

  @Test
  void aModelWithoutLineageWritesNoLineageFieldAndReadsBackWithout() throws IOException {
    byte[] bytes = ModelFormat.toBytes(PLAIN);
    assertFalse(metadata(bytes).get("provenance").has("lineage"), "files stay as before lineage existed");
    assertTrue(ModelFormat.read(bytes).provenance().lineage().isEmpty());
  }

  @Test
  void aFileWrittenBeforeLineageExistedStillLoads() throws IOException {
    // Strip the field from a file that has one: exactly the metadata an older writer produced.
    byte[] bytes = ModelFormat.toBytes(withLineage(PLAIN, RETRAINED));
    ObjectNode meta = metadata(bytes);
    ((ObjectNode) meta.get("provenance")).remove("lineage");
    FlowModel back = ModelFormat.read(forge(meta, bytes));
    assertTrue(back.provenance().lineage().isEmpty());
    assertEquals(PLAIN.provenance().seed(), back.provenance().seed());
  }

  @Test
  void nullLineageIsAbsentLineage() throws IOException {
    byte[] bytes = ModelFormat.toBytes(PLAIN);
    ObjectNode meta = metadata(bytes);
    ((ObjectNode) meta.get("provenance")).putNull("lineage");
    assertTrue(ModelFormat.read(forge(meta, bytes)).provenance().lineage().isEmpty());
  }

  @Test
  void malformedLineageIsCorruptMetadataNamingTheField() throws IOException {
    byte[] bytes = ModelFormat.toBytes(withLineage(PLAIN, RETRAINED));
    List<Consumer<ObjectNode>> edits = new ArrayList<>();
    edits.add(l -> l.put("trigger", "cron"));
    edits.add(l -> l.remove("trigger"));
    edits.add(l -> l.put("parentVersion", 0));
    edits.add(l -> l.put("parentVersion", "three"));
    edits.add(l -> l.put("parentVersion", 1L << 40));
    edits.add(l -> l.put("rollbackOf", 2)); // only a rollback names what it rolls back to
    edits.add(l -> l.put("dataRows", -1));
    edits.add(l -> l.put("dataRows", 1.5));
    edits.add(l -> l.remove("data"));
    edits.add(l -> l.put("heldOutNll", "low"));
    List<String> expectedPaths = List.of("lineage.trigger", "lineage.trigger", "lineage", "lineage.parentVersion",
        "lineage.parentVersion", "lineage", "lineage", "lineage.dataRows", "lineage.data", "lineage.heldOutNll");
    for (int i = 0; i < edits.size(); i++) {
      ObjectNode meta = metadata(bytes);
      edits.get(i).accept((ObjectNode) meta.get("provenance").get("lineage"));
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFormat.read(forge(meta, bytes)),
          "edit " + i);
      assertEquals(Kind.CORRUPT_METADATA, e.kind(), "edit " + i + ": " + e.getMessage());
      assertTrue(e.getMessage().contains(expectedPaths.get(i)), "edit " + i + ": " + e.getMessage());
    }
    ObjectNode notAnObject = metadata(bytes);
    ((ObjectNode) notAnObject.get("provenance")).put("lineage", "v3");
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelFormat.read(forge(notAnObject, bytes)));
    assertEquals(Kind.CORRUPT_METADATA, e.kind());
  }

  @Test
  void lineageRejectsInconsistentValuesAtConstruction() {
    assertThrows(IllegalArgumentException.class, () -> new Lineage(OptionalInt.empty(), Lineage.Trigger.ROLLBACK,
        "", 0, OptionalInt.empty(), Double.NaN, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Lineage(OptionalInt.of(0), Lineage.Trigger.OFFLINE,
        "", 0, OptionalInt.empty(), Double.NaN, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Lineage(OptionalInt.of(1), Lineage.Trigger.DRIFT, "",
        0, OptionalInt.empty(), Double.POSITIVE_INFINITY, 1));
    assertTrue(Double.isNaN(RETRAINED.withValidation(Double.POSITIVE_INFINITY, 1).heldOutNll()),
        "an overflowed NLL is recorded as absent");
    assertEquals(Lineage.MAX_DATA_CHARS, new Lineage(OptionalInt.empty(), Lineage.Trigger.INITIAL,
        "x".repeat(5000), 0, OptionalInt.empty(), Double.NaN, Double.NaN).data().length());
  }

  // ------------------------------------------------------------------------------------- helpers

  private static ObjectNode metadata(byte[] b) throws IOException {
    int len = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    return (ObjectNode) new ObjectMapper().readTree(Arrays.copyOfRange(b, 24, 24 + len));
  }

  /** {@code original}'s file with its metadata replaced by {@code meta}, header and checksum recomputed. */
  private static byte[] forge(ObjectNode meta, byte[] original) throws IOException {
    int len = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    byte[] params = Arrays.copyOfRange(original, 24 + len, original.length - 32);
    byte[] json = new ObjectMapper().writeValueAsBytes(meta);
    ByteBuffer buf = ByteBuffer.allocate(24 + json.length + params.length + 32).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(Arrays.copyOf(original, 12)).putInt(json.length).putLong(params.length / 8);
    buf.put(json).put(params);
    byte[] b = buf.array();
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(b, 0, b.length - 32);
      System.arraycopy(sha.digest(), 0, b, b.length - 32, 32);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return b;
  }
}
