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
import java.util.Base64;
import java.util.Optional;

/**
 * The JSON form of a {@link DeadLetter}, one object per record, fields in this order:
 *
 * <pre>{@code
 * {"reason": "MISSING_FEATURE", "message": "...", "original": "<base64>", "originalText": "...",
 *  "topic": "events", "partition": 0, "offset": 42, "time": 1700000000000}
 * }</pre>
 *
 * <p>{@code original} (standard base64) is the authority: it round-trips any bytes. {@code
 * originalText} is a convenience for people reading the dead-letter topic and is present only when
 * the bytes are valid UTF-8.
 */
public final class DeadLetterJson {

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

  private DeadLetterJson() {}

  /** The dead letter as UTF-8 JSON. */
  public static byte[] toJson(DeadLetter letter) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + letter.original().length * 2);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("reason", letter.reason().name());
      g.writeStringField("message", letter.message());
      g.writeStringField("original", Base64.getEncoder().encodeToString(letter.original()));
      Optional<String> text = utf8(letter.original());
      if (text.isPresent()) {
        g.writeStringField("originalText", text.get());
      }
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

  /**
   * Reads a dead letter back (for replay tools and tests).
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
      byte[] original = Base64.getDecoder().decode(text(node, "original"));
      Origin origin =
          new Origin(text(node, "topic"), (int) number(node, "partition"), number(node, "offset"));
      return new DeadLetter(reason, text(node, "message"), original, origin, number(node, "time"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid dead letter: " + e.getMessage(), e);
    }
  }

  /** The bytes as text if they are valid UTF-8 (a strict decoder: no replacement characters). */
  static Optional<String> utf8(byte[] bytes) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
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
