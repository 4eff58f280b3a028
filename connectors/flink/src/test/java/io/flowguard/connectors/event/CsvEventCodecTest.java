package io.flowguard.connectors.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CsvEventCodecTest {

  static final Origin ORIGIN = new Origin("csv-events", 0, 7);
  static final long RECORD_TS = 1_700_000_000_500L;
  static final SchemaLookup LOOKUP =
      SchemaLookup.of(Map.of("default", List.of("temp", "pressure"), "m2", List.of("pressure")));

  // Columns: site is neither key, time, model nor feature, so it is ignored.
  final CsvEventCodec codec =
      CsvEventCodec.builder(List.of("id", "time", "pressure", "site", "temp"))
          .key("id")
          .timestamp("time")
          .features(List.of("pressure", "temp"))
          .clock(Clock.fixed(Instant.ofEpochMilli(99), ZoneOffset.UTC))
          .build();

  Parsed<Event> parse(String line) {
    return codec.parse(line.getBytes(StandardCharsets.UTF_8), ORIGIN, RECORD_TS, LOOKUP);
  }

  @Test
  void parsesALineAndMatchesFeatureColumnsByName() {
    Event e = parse("pump-17,1700000000000,1.01,north,21.3\n").orElseThrow();
    assertEquals("pump-17", e.key());
    assertEquals(1_700_000_000_000L, e.eventTime());
    assertEquals(Event.DEFAULT_MODEL, e.model());
    assertArrayEquals(new double[] {21.3, 1.01}, e.features());
    assertEquals(ORIGIN, e.origin());
  }

  @Test
  void quotedFieldsEmptyTimestampAndCrLf() {
    Event e = parse("\"pump, \"\"17\"\"\",,\" 2e-3 \",\"a,b\", -4\r\n").orElseThrow();
    assertEquals("pump, \"17\"", e.key());
    assertEquals(RECORD_TS, e.eventTime());
    assertArrayEquals(new double[] {-4, 0.002}, e.features());
  }

  @Test
  void defaultFeatureColumnsAndAModelColumn() {
    CsvEventCodec c = CsvEventCodec.builder(List.of("key", "model", "pressure"))
        .model("model").delimiter(';').build();
    assertEquals(List.of("pressure"), c.featureColumns());
    Event e = c.parse("k;m2;3.5".getBytes(StandardCharsets.UTF_8), ORIGIN, RECORD_TS, LOOKUP)
        .orElseThrow();
    assertEquals("m2", e.model());
    assertArrayEquals(new double[] {3.5}, e.features());
    // An empty model cell means the default model, whose schema has two features.
    assertEquals(DeadLetterReason.MISSING_FEATURE,
        c.parse("k;;3.5".getBytes(StandardCharsets.UTF_8), ORIGIN, RECORD_TS, LOOKUP)
            .deadLetter().orElseThrow().reason());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '\'',
      value = {
        "CSV_FIELD_COUNT|k,1,2,x|4 field",
        "CSV_FIELD_COUNT|k,1,2,x,3,4|expected 5",
        "MALFORMED_CSV|\"k,1,2,x,3|unterminated",
        "MALFORMED_CSV|\"k\"x,1,2,x,3|after a closing quote",
        "MISSING_KEY|,1,2,x,3|'id'",
        "INVALID_TIMESTAMP|k,17e11,2,x,3|17e11",
        "INVALID_TIMESTAMP|k,-5,2,x,3|-5",
        "INVALID_TIMESTAMP|k,99999999999999999999,2,x,3|9999",
        "MISSING_FEATURE|k,1,,x,3|'pressure'",
        "NON_NUMERIC_FEATURE|k,1,2,x,abc|'temp'",
        "NON_NUMERIC_FEATURE|k,1,0x1p3,x,3|'pressure'",
        "NON_NUMERIC_FEATURE|k,1,2d,x,3|'pressure'",
        "INVALID_TIMESTAMP|id,time,pressure,site,temp|'time'",
        "NON_FINITE_FEATURE|k,1,NaN,x,3|'pressure'",
        "NON_FINITE_FEATURE|k,1,2,x,-Infinity|'temp'",
        "NON_FINITE_FEATURE|k,1,2,x,1e999|'temp'",
      })
  void invalidLinesAreDeadLettersWithTheirExactBytes(
      DeadLetterReason reason, String line, String fragment) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    DeadLetter d = codec.parse(bytes, ORIGIN, RECORD_TS, LOOKUP).deadLetter()
        .orElseThrow(() -> new AssertionError("accepted: " + line));
    assertEquals(reason, d.reason(), d.message());
    assertTrue(d.message().contains(fragment), () -> d.message() + " lacks " + fragment);
    assertArrayEquals(bytes, d.original());
    assertEquals(ORIGIN, d.origin());
    assertEquals(99, d.time());
  }

  @Test
  void featureColumnsAreMatchedAgainstTheModelSchema() {
    CsvEventCodec c = CsvEventCodec.builder(List.of("key", "temp", "humidity")).build();
    DeadLetter d = c.parse("k,1,2".getBytes(StandardCharsets.UTF_8), ORIGIN, RECORD_TS, LOOKUP)
        .deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.MISSING_FEATURE, d.reason());
  }

  @Test
  void invalidUtf8AndOversizedLines() {
    byte[] latin1 = {'k', ',', '1', ',', '2', ',', (byte) 0xE9, ',', '3'};
    assertEquals(DeadLetterReason.NOT_UTF8,
        codec.decode(latin1, ORIGIN, RECORD_TS).deadLetter().orElseThrow().reason());
    CsvEventCodec small = CsvEventCodec.builder(List.of("key", "x")).maxRecordBytes(4).build();
    assertEquals(DeadLetterReason.OVERSIZED,
        small.decode("k,12.5".getBytes(StandardCharsets.UTF_8), ORIGIN, RECORD_TS)
            .deadLetter().orElseThrow().reason());
  }

  @Test
  void configurationIsValidated() {
    assertThrows(IllegalArgumentException.class,
        () -> CsvEventCodec.builder(List.of("key", "key")));
    assertThrows(IllegalArgumentException.class,
        () -> CsvEventCodec.builder(List.of("id", "x")).build()); // no "key" column
    assertThrows(IllegalArgumentException.class,
        () -> CsvEventCodec.builder(List.of("key", "x")).features(List.of("y")).build());
    assertThrows(IllegalArgumentException.class,
        () -> CsvEventCodec.builder(List.of("key", "x")).features(List.of("key")).build());
    assertThrows(IllegalArgumentException.class,
        () -> CsvEventCodec.builder(List.of("key")).build()); // no features
  }
}
