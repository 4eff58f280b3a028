package io.flowguard.connectors.event;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class DeadLetterJsonTest {

  @Test
  void goldenFormCarriesValidUtf8OnceAsText() {
    byte[] original = "{\"key\": \"é\"".getBytes(StandardCharsets.UTF_8);
    DeadLetter d = new DeadLetter(DeadLetterReason.NOT_JSON, "unexpected end", original,
        new Origin("events", 2, 41), 1_700_000_000_123L);
    String json = new String(DeadLetterJson.toJson(d), StandardCharsets.UTF_8);
    assertEquals("{\"reason\":\"NOT_JSON\",\"message\":\"unexpected end\","
        + "\"originalText\":\"{\\\"key\\\": \\\"é\\\"\",\"originalBytes\":12,"
        + "\"originalSha256\":\"" + DeadLetterJson.sha256(original) + "\",\"truncated\":false,"
        + "\"topic\":\"events\",\"partition\":2,\"offset\":41,\"time\":1700000000123}", json);
    assertEquals(d, DeadLetterJson.fromJson(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void binaryBytesRoundTripAsBase64WithoutText() {
    byte[] original = {0, (byte) 0xff, (byte) 0xc3, 0x28, 10, 13};
    DeadLetter d = new DeadLetter(DeadLetterReason.OVERSIZED, "too big", original, Origin.NONE, 5);
    byte[] json = DeadLetterJson.toJson(d);
    String text = new String(json, StandardCharsets.UTF_8);
    assertFalse(text.contains("originalText"));
    assertTrue(text.contains("\"original\":\"" + Base64.getEncoder().encodeToString(original)));
    assertEquals(d, DeadLetterJson.fromJson(json));
  }

  @Test
  void sha256IsTheStandardDigest() {
    // FIPS 180-2's test vector for "abc".
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        DeadLetterJson.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void aLongRecordKeepsAPrefixWithTheWholeLengthAndDigest() throws Exception {
    byte[] original = ("{\"pad\":\"" + "x".repeat(10_000) + "\"}").getBytes(StandardCharsets.UTF_8);
    DeadLetter d = new DeadLetter(DeadLetterReason.OVERSIZED, "m", original, Origin.NONE, 1);
    JsonNode n = new ObjectMapper().readTree(DeadLetterJson.toJson(d, 100));
    assertEquals(new String(original, 0, 100, StandardCharsets.UTF_8), n.get("originalText").asText());
    assertEquals(original.length, n.get("originalBytes").asInt());
    assertEquals(DeadLetterJson.sha256(original), n.get("originalSha256").asText());
    assertTrue(n.get("truncated").asBoolean());
    assertArrayEquals(Arrays.copyOf(original, 100),
        DeadLetterJson.fromJson(DeadLetterJson.toJson(d, 100)).original());
  }

  @Test
  void aCutInsideAMultiByteCharacterKeepsTheTextPrefix() throws Exception {
    byte[] original = "aé€".getBytes(StandardCharsets.UTF_8); // 1 + 2 + 3 bytes
    DeadLetter d = new DeadLetter(DeadLetterReason.NOT_JSON, "m", original, Origin.NONE, 1);
    JsonNode n = new ObjectMapper().readTree(DeadLetterJson.toJson(d, 4));
    assertEquals("aé", n.get("originalText").asText(), "the cut falls inside '€': 3 bytes kept");
    assertTrue(n.get("truncated").asBoolean());
  }

  @Test
  void aLongMessageIsCut() throws Exception {
    DeadLetter d = new DeadLetter(DeadLetterReason.EXTRA_FEATURE, "m".repeat(100_000),
        new byte[] {1}, Origin.NONE, 1);
    JsonNode n = new ObjectMapper().readTree(DeadLetterJson.toJson(d));
    assertEquals(DeadLetterJson.MAX_MESSAGE_CHARS, n.get("message").asText().length());
    assertTrue(n.get("message").asText().endsWith("..."));
  }

  @Test
  void everyReasonRoundTrips() {
    for (DeadLetterReason r : DeadLetterReason.values()) {
      DeadLetter d = new DeadLetter(r, "m", new byte[] {1}, new Origin("t", 0, 0), 0);
      assertEquals(d, DeadLetterJson.fromJson(DeadLetterJson.toJson(d)));
    }
  }

  @Test
  void rejectsWhatIsNotADeadLetter() {
    assertThrows(IllegalArgumentException.class,
        () -> DeadLetterJson.fromJson("[1]".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IllegalArgumentException.class,
        () -> DeadLetterJson.fromJson("{\"reason\":\"NOPE\"}".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IllegalArgumentException.class,
        () -> DeadLetterJson.fromJson("{".getBytes(StandardCharsets.UTF_8)));
  }
}
