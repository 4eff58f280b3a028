package io.flowguard.connectors.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {

  static final long NOW = 1_800_000_000_000L;
  static final long RECORD_TS = 1_700_000_000_500L;
  static final Origin ORIGIN = new Origin("events", 3, 1234);
  static final List<String> SCHEMA = List.of("temp", "pressure");
  static final SchemaLookup LOOKUP =
      SchemaLookup.of(Map.of("default", SCHEMA, "wide", List.of("a", "b", "c")));

  final EventCodec codec = new EventCodec(
      EventDecoder.DEFAULT_MAX_RECORD_BYTES, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  Parsed<Event> parse(byte[] bytes) {
    return codec.parse(bytes, ORIGIN, RECORD_TS, LOOKUP);
  }

  Event valid(String json) {
    return parse(utf8(json)).orElseThrow();
  }

  @Test
  void featuresByNameInAnyOrderFollowTheSchemaOrder() {
    Event e = valid("{\"key\":\"pump-17\",\"model\":\"default\",\"ts\":1700000000000,"
        + "\"features\":{\"pressure\":1.01,\"temp\":21.3}}");
    assertEquals("pump-17", e.key());
    assertEquals("default", e.model());
    assertEquals(1_700_000_000_000L, e.eventTime());
    assertArrayEquals(new double[] {21.3, 1.01}, e.features());
    assertEquals(ORIGIN, e.origin());
  }

  @Test
  void valuesArrayIsInSchemaOrder() {
    Event e = valid("{\"key\":\"k\",\"model\":\"wide\",\"values\":[1,-2.5e3,0.125]}");
    assertEquals("wide", e.model());
    assertArrayEquals(new double[] {1, -2500, 0.125}, e.features());
  }

  @Test
  void modelDefaultsToDefaultAndTimeToTheRecordTimestamp() {
    Event e = valid("{\"features\":{\"temp\":1,\"pressure\":2},\"key\":\"k\"}");
    assertEquals(Event.DEFAULT_MODEL, e.model());
    assertEquals(RECORD_TS, e.eventTime());
  }

  @Test
  void nullOptionalFieldsAreAbsentAndUnknownTopLevelFieldsAreIgnored() {
    Event e = valid("{\"key\":\"k\",\"model\":null,\"ts\":null,\"source\":{\"x\":[1,{\"y\":\"z\"}]},"
        + "\"values\":[1,2],\"features\":null,\"note\":\"hi\"}");
    assertEquals(Event.DEFAULT_MODEL, e.model());
    assertEquals(RECORD_TS, e.eventTime());
    assertArrayEquals(new double[] {1, 2}, e.features());
  }

  @Test
  void decodesWithoutASchemaAndResolvesLater() {
    byte[] bytes = utf8("{\"key\":\"k\",\"model\":\"later\",\"features\":{\"y\":2,\"x\":1}}");
    RawEvent raw = codec.decode(bytes, ORIGIN, RECORD_TS).orElseThrow();
    assertTrue(raw.byName());
    assertArrayEquals(new String[] {"y", "x"}, raw.featureNames());
    assertArrayEquals(new double[] {2, 1}, raw.values());
    assertArrayEquals(bytes, raw.original());

    // No such model yet: the lookup path rejects, the job instead holds the raw event ...
    assertEquals(DeadLetterReason.UNKNOWN_MODEL,
        codec.resolve(raw, LOOKUP).deadLetter().orElseThrow().reason());
    // ... and resolves it once the model arrives.
    Event e = codec.resolve(raw, List.of("x", "y")).orElseThrow();
    assertArrayEquals(new double[] {1, 2}, e.features());
    assertEquals("later", e.model());

    DeadLetter expired = codec.deadLetter(raw, DeadLetterReason.NO_MODEL, "no model in 60 s");
    assertEquals(DeadLetterReason.NO_MODEL, expired.reason());
    assertArrayEquals(bytes, expired.original());
    assertEquals(ORIGIN, expired.origin());
    assertEquals(NOW, expired.time());
  }

  @Test
  void manyNamedFeaturesStillDetectDuplicates() {
    StringBuilder json = new StringBuilder("{\"key\":\"k\",\"features\":{");
    for (int i = 0; i < 40; i++) {
      json.append("\"f").append(i).append("\":").append(i).append(',');
    }
    json.append("\"f7\":0}}");
    DeadLetter d = parse(utf8(json.toString())).deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.DUPLICATE_FIELD, d.reason());
    assertTrue(d.message().contains("'f7'"), d.message());
  }

  @Test
  void parsedHelpers() {
    Parsed<Event> ok = parse(utf8("{\"key\":\"k\",\"values\":[1,2]}"));
    assertTrue(ok.isOk());
    assertTrue(ok.deadLetter().isEmpty());
    Parsed<Event> bad = parse(utf8("nope"));
    assertFalse(bad.isOk());
    assertTrue(bad.toOptional().isEmpty());
    IllegalStateException e = assertThrows(IllegalStateException.class, bad::orElseThrow);
    assertTrue(e.getMessage().startsWith("NOT_JSON"), e.getMessage());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        // reason, record, a fragment the message must contain
        bad(DeadLetterReason.NOT_JSON, "", "empty"),
        bad(DeadLetterReason.NOT_JSON, "   ", "empty"),
        bad(DeadLetterReason.NOT_JSON, "{\"key\":", "line 1"),
        bad(DeadLetterReason.NOT_JSON, "{\"key\":\"k\",\"values\":[1,2],}", "line 1"),
        bad(DeadLetterReason.NOT_JSON, "{\"key\":\"k\",\"values\":[1,2]} x", "line 1"),
        bad(DeadLetterReason.NOT_JSON, "{\"key\":\"k\",\"values\":[1,2]}{}", "trailing"),
        bad(DeadLetterReason.NOT_JSON, "[1,2", "line 1"),
        bad(DeadLetterReason.NOT_JSON, "{'key':'k'}", "line 1"),
        bad(DeadLetterReason.NOT_AN_OBJECT, "[1,2]", "an array"),
        bad(DeadLetterReason.NOT_AN_OBJECT, "42", "a number"),
        bad(DeadLetterReason.NOT_AN_OBJECT, "\"text\"", "a string"),
        bad(DeadLetterReason.NOT_AN_OBJECT, "null", "null"),
        bad(DeadLetterReason.DUPLICATE_FIELD, "{\"key\":\"a\",\"key\":\"b\",\"values\":[1,2]}",
            "'key'"),
        bad(DeadLetterReason.DUPLICATE_FIELD, "{\"key\":\"a\",\"ts\":1,\"ts\":2,\"values\":[1,2]}",
            "'ts'"),
        bad(DeadLetterReason.DUPLICATE_FIELD,
            "{\"key\":\"a\",\"features\":{\"temp\":1,\"temp\":2,\"pressure\":3}}", "'temp'"),
        bad(DeadLetterReason.INVALID_FIELD, "{\"key\":17,\"values\":[1,2]}", "'key'"),
        bad(DeadLetterReason.INVALID_FIELD, "{\"key\":\"k\",\"model\":3,\"values\":[1,2]}",
            "'model'"),
        bad(DeadLetterReason.INVALID_FIELD, "{\"key\":\"k\",\"model\":\"\",\"values\":[1,2]}",
            "'model'"),
        bad(DeadLetterReason.INVALID_FIELD, "{\"key\":\"k\",\"features\":[1,2]}", "'features'"),
        bad(DeadLetterReason.INVALID_FIELD, "{\"key\":\"k\",\"values\":{\"temp\":1}}", "'values'"),
        bad(DeadLetterReason.INVALID_FIELD,
            "{\"key\":\"k\",\"values\":[1,2],\"features\":{\"temp\":1,\"pressure\":2}}", "both"),
        bad(DeadLetterReason.MISSING_KEY, "{\"values\":[1,2]}", "no 'key'"),
        bad(DeadLetterReason.MISSING_KEY, "{\"key\":\"\",\"values\":[1,2]}", "'key'"),
        bad(DeadLetterReason.MISSING_KEY, "{\"key\":null,\"values\":[1,2]}", "'key'"),
        bad(DeadLetterReason.INVALID_TIMESTAMP, "{\"key\":\"k\",\"ts\":\"1700000000000\","
            + "\"values\":[1,2]}", "a string"),
        bad(DeadLetterReason.INVALID_TIMESTAMP, "{\"key\":\"k\",\"ts\":1.5,\"values\":[1,2]}",
            "1.5"),
        bad(DeadLetterReason.INVALID_TIMESTAMP, "{\"key\":\"k\",\"ts\":-1,\"values\":[1,2]}", "-1"),
        bad(DeadLetterReason.INVALID_TIMESTAMP,
            "{\"key\":\"k\",\"ts\":99999999999999999999,\"values\":[1,2]}", "999"),
        bad(DeadLetterReason.INVALID_TIMESTAMP, "{\"key\":\"k\",\"ts\":{},\"values\":[1,2]}",
            "an object"),
        bad(DeadLetterReason.NO_FEATURES, "{\"key\":\"k\"}", "neither"),
        bad(DeadLetterReason.NO_FEATURES, "{\"key\":\"k\",\"features\":null}", "neither"),
        bad(DeadLetterReason.NON_NUMERIC_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":\"21.3\",\"pressure\":1}}", "'temp'"),
        bad(DeadLetterReason.NON_NUMERIC_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":true,\"pressure\":1}}", "boolean"),
        bad(DeadLetterReason.NON_NUMERIC_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":1,\"pressure\":null}}", "'pressure'"),
        bad(DeadLetterReason.NON_NUMERIC_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":{\"v\":1},\"pressure\":1}}", "an object"),
        bad(DeadLetterReason.NON_NUMERIC_FEATURE, "{\"key\":\"k\",\"values\":[1,[2]]}",
            "values[1]"),
        bad(DeadLetterReason.NON_FINITE_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":NaN,\"pressure\":1}}", "'temp'"),
        bad(DeadLetterReason.NON_FINITE_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":1,\"pressure\":-Infinity}}", "'pressure'"),
        bad(DeadLetterReason.NON_FINITE_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":1e400,\"pressure\":1}}", "1e400"),
        bad(DeadLetterReason.NON_FINITE_FEATURE, "{\"key\":\"k\",\"values\":[1,Infinity]}",
            "values[1]"),
        bad(DeadLetterReason.MISSING_FEATURE, "{\"key\":\"k\",\"features\":{\"temp\":1}}",
            "[pressure]"),
        bad(DeadLetterReason.EXTRA_FEATURE,
            "{\"key\":\"k\",\"features\":{\"temp\":1,\"pressure\":2,\"humidity\":3}}",
            "[humidity]"),
        bad(DeadLetterReason.WRONG_FEATURE_COUNT, "{\"key\":\"k\",\"values\":[1,2,3]}", "3"),
        bad(DeadLetterReason.WRONG_FEATURE_COUNT, "{\"key\":\"k\",\"values\":[]}", "0"),
        bad(DeadLetterReason.UNKNOWN_MODEL, "{\"key\":\"k\",\"model\":\"nope\",\"values\":[1,2]}",
            "'nope'"));
  }

  static Arguments bad(DeadLetterReason reason, String json, String fragment) {
    return Arguments.of(reason, json, fragment);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("invalid")
  void everyInvalidRecordIsADeadLetterWithItsExactBytes(
      DeadLetterReason reason, String json, String fragment) {
    byte[] bytes = utf8(json);
    DeadLetter d = parse(bytes).deadLetter().orElseThrow(
        () -> new AssertionError("accepted: " + json));
    assertEquals(reason, d.reason(), d.message());
    assertTrue(d.message().contains(fragment), () -> "message '" + d.message() + "' lacks "
        + fragment);
    assertArrayEquals(bytes, d.original());
    assertEquals(ORIGIN, d.origin());
    assertEquals(NOW, d.time());
  }

  @Test
  void invalidUtf8IsNotUtf8AndKeepsTheBytes() {
    byte[] bytes = {'{', '"', 'k', 'e', 'y', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    DeadLetter d = parse(bytes).deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.NOT_UTF8, d.reason());
    assertTrue(d.message().contains("0x28 at offset 9"), d.message());
    assertArrayEquals(bytes, d.original());
  }

  @ParameterizedTest
  @MethodSource("otherEncodings")
  void utf16AndUtf32JsonAreDeadLetteredNamingTheEncoding(String charset, String named) {
    String json = (charset.endsWith("BOM") ? "\uFEFF" : "")
        + "{\"key\":\"k\",\"values\":[1,2]}";
    byte[] bytes = json.getBytes(java.nio.charset.Charset.forName(charset.replace(" BOM", "")));
    DeadLetter d = parse(bytes).deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.NOT_UTF8, d.reason(), charset);
    assertTrue(d.message().contains(named), d.message());
  }

  static Stream<Arguments> otherEncodings() {
    return Stream.of(
        Arguments.of("UTF-16LE", "UTF-16LE"), Arguments.of("UTF-16BE", "UTF-16BE"),
        Arguments.of("UTF-16LE BOM", "UTF-16LE (byte-order mark)"),
        Arguments.of("UTF-16BE BOM", "UTF-16BE (byte-order mark)"),
        Arguments.of("UTF-32LE", "UTF-32LE"), Arguments.of("UTF-32BE", "UTF-32BE"),
        Arguments.of("UTF-32BE BOM", "UTF-32BE (byte-order mark)"));
  }

  @Test
  void utf8WithMultiByteCharactersAndAByteOrderMarkIsAccepted() {
    assertTrue(parse(utf8("\uFEFF{\"key\":\"pompe-é-€-\uD83D\uDE00\",\"values\":[1,2]}")).isOk());
  }

  @ParameterizedTest
  @MethodSource("invalidUtf8")
  void overlongSurrogateAndTruncatedSequencesAreNotUtf8(byte[] inKey) {
    byte[] head = utf8("{\"key\":\"");
    byte[] tail = utf8("\",\"values\":[1,2]}");
    byte[] bytes = new byte[head.length + inKey.length + tail.length];
    System.arraycopy(head, 0, bytes, 0, head.length);
    System.arraycopy(inKey, 0, bytes, head.length, inKey.length);
    System.arraycopy(tail, 0, bytes, head.length + inKey.length, tail.length);
    assertEquals(DeadLetterReason.NOT_UTF8, parse(bytes).deadLetter().orElseThrow().reason());
  }

  static Stream<byte[]> invalidUtf8() {
    return Stream.of(
        new byte[] {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
        new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // overlong
        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
        new byte[] {(byte) 0xE9}, // Latin-1 'é'
        new byte[] {(byte) 0xE2, (byte) 0x82}); // cut-off euro sign
  }

  @Test
  void recordWithoutTsAndWithoutRecordTimestampIsRejected() {
    byte[] bytes = utf8("{\"key\":\"k\",\"values\":[1,2]}");
    DeadLetter d = codec.parse(bytes, ORIGIN, -1L, LOOKUP).deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.INVALID_TIMESTAMP, d.reason());
  }

  @Test
  void oversizedRecordsAreRejectedUnparsed() {
    EventCodec small = new EventCodec(32, Clock.systemUTC());
    byte[] ok = utf8("{\"key\":\"k\",\"values\":[1,2]}");
    assertTrue(small.parse(ok, ORIGIN, RECORD_TS, LOOKUP).isOk());
    byte[] big = utf8("{\"key\":\"k\",\"values\":[1.0000000,2.0000]}");
    DeadLetter d = small.parse(big, ORIGIN, RECORD_TS, LOOKUP).deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.OVERSIZED, d.reason());
    assertTrue(d.message().contains("32"), d.message());
    assertArrayEquals(big, d.original());
  }

  @Test
  void defaultLimitIsOneMebibyte() {
    assertEquals(1 << 20, new EventCodec().maxRecordBytes());
    byte[] big = new byte[(1 << 20) + 1];
    assertEquals(DeadLetterReason.OVERSIZED,
        new EventCodec().decode(big, ORIGIN, RECORD_TS).deadLetter().orElseThrow().reason());
  }

  @Test
  void aKeyLongerThanTheLimitIsRejectedAsKeyTooLong() {
    EventCodec codec = new EventCodec(1 << 20, 8, false, Clock.systemUTC());
    assertTrue(codec.parse(utf8("{\"key\":\"12345678\",\"values\":[1,2]}"), ORIGIN, RECORD_TS,
        LOOKUP).isOk(), "8 bytes: at the limit");
    // "é" is 2 bytes in UTF-8: 4 of them are 8 bytes, one more is 10.
    assertTrue(codec.parse(utf8("{\"key\":\"éééé\",\"values\":[1,2]}"), ORIGIN, RECORD_TS,
        LOOKUP).isOk());
    byte[] bytes = utf8("{\"key\":\"ééééé\",\"values\":[1,2]}");
    DeadLetter d = codec.parse(bytes, ORIGIN, RECORD_TS, LOOKUP).deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.KEY_TOO_LONG, d.reason());
    assertTrue(d.message().contains("10 bytes"), d.message());
    assertArrayEquals(bytes, d.original());
  }

  @Test
  void theDefaultKeyLimitIsOneKibibyteForCsvToo() {
    assertEquals(1024, new EventCodec().maxKeyBytes());
    CsvEventCodec csv = CsvEventCodec.builder(List.of("key", "temp", "pressure")).build();
    String line = "k".repeat(1025) + ",1,2";
    assertEquals(DeadLetterReason.KEY_TOO_LONG,
        csv.decode(utf8(line), ORIGIN, RECORD_TS).deadLetter().orElseThrow().reason());
  }

  @Test
  void unknownFeaturesAreRejectedByDefault() {
    DeadLetter d = parse(utf8("{\"key\":\"k\",\"features\":{\"temp\":1,\"pressure\":2,\"new\":3}}"))
        .deadLetter().orElseThrow();
    assertEquals(DeadLetterReason.EXTRA_FEATURE, d.reason());
  }

  @Test
  void unknownFeaturesAreDroppedWhenTheDecoderIgnoresThem() {
    EventCodec lenient = new EventCodec(1 << 20, 1024, true, Clock.systemUTC());
    Event e = lenient.parse(utf8("{\"key\":\"k\",\"features\":{\"new\":3,\"pressure\":2,\"temp\":1}}"),
        ORIGIN, RECORD_TS, LOOKUP).orElseThrow();
    assertArrayEquals(new double[] {1, 2}, e.features());
    // Missing features are still refused: ignoring unknown ones never invents a value.
    assertEquals(DeadLetterReason.MISSING_FEATURE, lenient.parse(
        utf8("{\"key\":\"k\",\"features\":{\"new\":3,\"temp\":1}}"), ORIGIN, RECORD_TS, LOOKUP)
        .deadLetter().orElseThrow().reason());
  }
}
