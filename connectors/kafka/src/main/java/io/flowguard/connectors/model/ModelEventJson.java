package io.flowguard.connectors.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON form of a {@link ModelEvent}, fields always in this order:
 *
 * <pre>{@code
 * {"model": "pump", "kind": "REJECTED", "challengerVersion": 4, "championVersion": 3,
 *  "reason": "WORSE_NLL", "message": "the challenger's mean held-out NLL ...",
 *  "challengerNll": 12.9, "championNll": 11.2, "candidateRows": 18850, "trainRows": 15080,
 *  "heldOutRows": 3770, "trainSeconds": 41.5,
 *  "dataWindow": "topic events, 2026-12-01T08:00:00Z..2026-12-02T08:00:00Z", "ts": 1764662400000}
 * }</pre>
 *
 * Non-finite numbers (a metric that was not measured) are written as {@code null}.
 */
public final class ModelEventJson {

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper READER = new ObjectMapper();

  private ModelEventJson() {}

  /** The event as UTF-8 JSON. */
  public static byte[] toJson(ModelEvent e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("model", e.model());
      g.writeStringField("kind", e.kind().name());
      g.writeNumberField("challengerVersion", e.challengerVersion());
      g.writeNumberField("championVersion", e.championVersion());
      g.writeStringField("reason", e.reason());
      g.writeStringField("message", e.message());
      number(g, "challengerNll", e.challengerNll());
      number(g, "championNll", e.championNll());
      g.writeNumberField("candidateRows", e.candidateRows());
      g.writeNumberField("trainRows", e.trainRows());
      g.writeNumberField("heldOutRows", e.heldOutRows());
      number(g, "trainSeconds", e.trainSeconds());
      g.writeStringField("dataWindow", e.dataWindow());
      g.writeNumberField("ts", e.timestamp());
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex); // writing to memory cannot fail
    }
    return out.toByteArray();
  }

  /**
   * Reads an event written by {@link #toJson} (for consumers and tests).
   *
   * @throws IllegalArgumentException naming the field that is missing or mistyped
   */
  public static ModelEvent fromJson(byte[] json) {
    JsonNode n;
    try {
      n = READER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a model event: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("not a model event: expected a JSON object");
    }
    ModelEventKind kind;
    try {
      kind = ModelEventKind.valueOf(text(n, "kind"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model event: unknown kind '" + n.get("kind").asText() + "'", e);
    }
    return new ModelEvent(text(n, "model"), kind, (int) integer(n, "challengerVersion"),
        (int) integer(n, "championVersion"), text(n, "reason"), text(n, "message"), number(n, "challengerNll"),
        number(n, "championNll"), integer(n, "candidateRows"), integer(n, "trainRows"), integer(n, "heldOutRows"),
        number(n, "trainSeconds"), text(n, "dataWindow"), integer(n, "ts"));
  }

  private static void number(JsonGenerator g, String field, double x) throws IOException {
    if (Double.isFinite(x)) {
      g.writeNumberField(field, x);
    } else {
      g.writeNullField(field);
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("model event: '" + field + "' must be a string");
    }
    return v.textValue();
  }

  private static long integer(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new IllegalArgumentException("model event: '" + field + "' must be an integer");
    }
    return v.longValue();
  }

  private static double number(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v != null && v.isNull()) {
      return Double.NaN;
    }
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException("model event: '" + field + "' must be a number or null");
    }
    return v.doubleValue();
  }
}
