package io.flowguard.connectors.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * The JSON form of a {@link DeadLetter}, one object per record, fields in this order:
 *
 * <pre>{@code
 * {"reason": "MISSING_FEATURE", "message": "...", "originalText": "...", "originalBytes": 57,
 *  "originalSha256": "<64 hex digits>", "truncated": false,
 *  "topic": "events", "partition": 0, "offset": 42, "time": 1700000000000}
 * }</pre>
 *
 * <p>The original bytes appear once: as {@code originalText} when the kept bytes are valid UTF-8
 * (they round-trip exactly through the text), otherwise as {@code original} (standard base64). At
 * most {@code maxOriginalBytes} of them are kept (a prefix, cut at a character boundary when the
 * record is text); {@code originalBytes} and {@code originalSha256} always describe the whole
 * record, and {@code truncated} says whether bytes were left out. A message longer than {@value
 * #MAX_MESSAGE_CHARS} characters is cut and ends with "...". So a dead letter's size is bounded:
 * about 1 KiB plus 6 bytes per kept byte in the worst case (escaped control characters), and the
 * Kafka serializer shrinks the prefix further when a topic's limit requires it.
 */
public final class DeadLetterJson {

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

  /** The default prefix of the original bytes kept in a dead letter: 64 KiB. */
  public static final int DEFAULT_MAX_ORIGINAL_BYTES = 64 << 10;

  /** Messages are cut to this many characters (a message may quote a field name of the record). */
  public static final int MAX_MESSAGE_CHARS = 2048;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private DeadLetterJson() {}

  /** The dead letter as UTF-8 JSON, keeping at most {@link #DEFAULT_MAX_ORIGINAL_BYTES}. */
  public static byte[] toJson(DeadLetter letter) {
    return toJson(letter, DEFAULT_MAX_ORIGINAL_BYTES);
  }

  /**
   * The dead letter as UTF-8 JSON, keeping at most {@code maxOriginalBytes} of the original bytes.
   *
   * @param maxOriginalBytes at least 0
   */
  public static byte[] toJson(DeadLetter letter, int maxOriginalBytes) {
    if (maxOriginalBytes < 0) {
      throw new IllegalArgumentException("maxOriginalBytes must be >= 0, got " + maxOriginalBytes);
    }
    byte[] all = letter.original();
    int keep = Math.min(all.length, maxOriginalBytes);
    Optional<String> text = utf8(all, keep);
    // A cut may fall inside a multi-byte character: a text prefix may be up to 3 bytes shorter.
    for (int k = keep - 1; text.isEmpty() && keep < all.length && k >= Math.max(0, keep - 3); k--) {
      text = utf8(all, k);
      if (text.isPresent()) {
        keep = k;
      }
    }
    String message = letter.message();
    if (message.length() > MAX_MESSAGE_CHARS) {
      message = message.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(384 + keep * 2);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("reason", letter.reason().name());
      g.writeStringField("message", message);
      if (text.isPresent()) {
        g.writeStringField("originalText", text.get());
      } else {
        g.writeStringField("original",
            Base64.getEncoder().encodeToString(Arrays.copyOf(all, keep)));
      }
      g.writeNumberField("originalBytes", all.length);
      g.writeStringField("originalSha256", sha256(all));
      g.writeBooleanField("truncated", keep < all.length);
      g.writeStringField("topic", letter.origin().topic());
      g.writeNumberField("partition", letter.origin().partition());
      g.writeNumberField("offset", letter.origin().offset());
      g.writeNumberField("time", letter.time());
      g.writeEndObject();
    } catch (IOException e) {
      // Writing to memory cannot fail; keep the signature free of checked exceptions.
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The SHA-256 of the bytes, 64 lowercase hex digits. */
  public static String sha256(byte[] bytes) {
    byte[] d;
    try {
      d = MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    char[] hex = new char[d.length * 2];
    for (int i = 0; i < d.length; i++) {
      hex[2 * i] = HEX[(d[i] >> 4) & 0xf];
      hex[2 * i + 1] = HEX[d[i] & 0xf];
    }
    return new String(hex);
  }

  /**
   * Reads a dead letter back (for replay tools and tests). Its original bytes are those the JSON
   * kept: for a {@code truncated} letter, only a prefix of the record.
   *
   * @throws IllegalArgumentException if the JSON is not a dead letter
   */
  public static DeadLetter fromJson(byte[] json) {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("a dead letter must be a JSON object");
    }
    try {
      DeadLetterReason reason = DeadLetterReason.valueOf(text(node, "reason"));
      byte[] original = node.hasNonNull("originalText")
          ? text(node, "originalText").getBytes(StandardCharsets.UTF_8)
          : Base64.getDecoder().decode(text(node, "original"));
      Origin origin =
          new Origin(text(node, "topic"), (int) number(node, "partition"), number(node, "offset"));
      return new DeadLetter(reason, text(node, "message"), original, origin, number(node, "time"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid dead letter: " + e.getMessage(), e);
    }
  }

  /** The bytes as text if they are valid UTF-8 (a strict decoder: no replacement characters). */
  static Optional<String> utf8(byte[] bytes) {
    return utf8(bytes, bytes.length);
  }

  private static Optional<String> utf8(byte[] bytes, int length) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes, 0, length))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("'" + field + "' must be a string");
    }
    return v.textValue();
  }

  private static long number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new IllegalArgumentException("'" + field + "' must be an integer");
    }
    return v.longValue();
  }
}
