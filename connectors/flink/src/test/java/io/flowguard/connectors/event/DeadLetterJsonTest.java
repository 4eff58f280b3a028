package io.flowguard.connectors.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class DeadLetterJsonTest {

  @Test
  void goldenFormWithText() {
    byte[] original = "{\"key\": \"é\"".getBytes(StandardCharsets.UTF_8);
    DeadLetter d = new DeadLetter(DeadLetterReason.NOT_JSON, "unexpected end", original,
        new Origin("events", 2, 41), 1_700_000_000_123L);
    String json = new String(DeadLetterJson.toJson(d), StandardCharsets.UTF_8);
    assertEquals("{\"reason\":\"NOT_JSON\",\"message\":\"unexpected end\",\"original\":\""
        + Base64.getEncoder().encodeToString(original)
        + "\",\"originalText\":\"{\\\"key\\\": \\\"é\\\"\",\"topic\":\"events\",\"partition\":2,"
        + "\"offset\":41,\"time\":1700000000123}", json);
    assertEquals(d, DeadLetterJson.fromJson(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void binaryBytesRoundTripWithoutText() {
    byte[] original = {0, (byte) 0xff, (byte) 0xc3, 0x28, 10, 13};
    DeadLetter d = new DeadLetter(DeadLetterReason.OVERSIZED, "too big", original, Origin.NONE, 5);
    byte[] json = DeadLetterJson.toJson(d);
    assertFalse(new String(json, StandardCharsets.UTF_8).contains("originalText"));
    assertEquals(d, DeadLetterJson.fromJson(json));
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
