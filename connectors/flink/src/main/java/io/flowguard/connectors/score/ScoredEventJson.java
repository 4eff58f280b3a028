package io.flowguard.connectors.score;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON form of a {@link ScoredEvent}, one object per event, fields always in this order:
 *
 * <pre>{@code
 * {"key": "pump-17", "model": "default", "modelVersion": "3", "ts": 1700000000000,
 *  "logDensity": -2.5, "nll": 2.5, "tailProbability": 0.31, "anomaly": false,
 *  "typicality": [{"window": 10, "statistic": 0.12, "threshold": 0.8, "alarm": false}],
 *  "features": {"temp": 21.3, "pressure": 1.01},
 *  "explanation": [{"feature": "pressure", "value": 4.1, "typical": 1.2, "contribution": 31.7,
 *                   "z": 58.0, "outOfRange": true}]}
 * }</pre>
 *
 * <p>An event scored by a time-aware model has, after {@code anomaly}, {@code "context": {"events": 16,
 * "warmingUp": false}}: how many of its key's previous events the score was conditioned on.
 *
 * <p>{@code explanation} (and {@code explanationNote}, for a joint anomaly or an explanation that was not
 * computed) appear only for explained events: anomalies when explanations are on (see
 * docs/explanations.md for what each number means).
 *
 * <p>The order is fixed so that consumers and golden tests can rely on the bytes. JSON has no NaN or
 * infinity, so every non-finite number is written as {@code null}: a typicality statistic is NaN
 * until its window is full, and a log-density can be -infinity far outside the data.
 */
public final class ScoredEventJson {

  // Schubfach double formatting: the shortest decimal that reads back as the same double, several times
  // cheaper than Double.toString's FDBigInteger path, which took a tenth of the scoring thread's time.
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

  private ScoredEventJson() {}

  /** The scored event as UTF-8 JSON. */
  public static byte[] toJson(ScoredEvent e) {
    return toJson(e, true);
  }

  /**
   * The scored event as UTF-8 JSON; without features, {@code "features"} is replaced by {@code
   * "featuresOmitted": true} (the form a sink writes when the full record would exceed its size
   * limit).
   */
  public static byte[] toJson(ScoredEvent e, boolean withFeatures) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 32 * e.features().length);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("key", e.key());
      g.writeStringField("model", e.model());
      g.writeStringField("modelVersion", e.modelVersion());
      g.writeNumberField("ts", e.eventTime());
      number(g, "logDensity", e.logDensity());
      number(g, "nll", e.nll());
      number(g, "tailProbability", e.tailProbability());
      g.writeBooleanField("anomaly", e.anomaly());
      if (e.historyEvents() >= 0) {
        g.writeObjectFieldStart("context");
        g.writeNumberField("events", e.historyEvents());
        g.writeBooleanField("warmingUp", e.warmingUp());
        g.writeEndObject();
      }
      g.writeArrayFieldStart("typicality");
      for (TypicalityResult t : e.typicality()) {
        g.writeStartObject();
        g.writeNumberField("window", t.window());
        number(g, "statistic", t.statistic());
        number(g, "threshold", t.threshold());
        g.writeBooleanField("alarm", t.alarm());
        g.writeEndObject();
      }
      g.writeEndArray();
      if (withFeatures) {
        g.writeObjectFieldStart("features");
        String[] names = e.featureNames();
        double[] values = e.features();
        for (int i = 0; i < names.length; i++) {
          number(g, names[i], values[i]);
        }
        g.writeEndObject();
      } else {
        g.writeBooleanField("featuresOmitted", true);
      }
      if (e.explanation().length > 0 || !e.explanationNote().isEmpty()) {
        g.writeArrayFieldStart("explanation");
        for (Attribution a : e.explanation()) {
          g.writeStartObject();
          g.writeStringField("feature", a.feature());
          number(g, "value", a.value());
          number(g, "typical", a.typical());
          number(g, "contribution", a.contribution());
          number(g, "z", a.zScore());
          g.writeBooleanField("outOfRange", a.outOfRange());
          g.writeEndObject();
        }
        g.writeEndArray();
        if (!e.explanationNote().isEmpty()) {
          g.writeStringField("explanationNote", e.explanationNote());
        }
      }
      g.writeEndObject();
    } catch (IOException ex) {
      // Writing to memory cannot fail; keep the signature free of checked exceptions.
      throw new UncheckedIOException(ex);
    }
    return out.toByteArray();
  }

  private static void number(JsonGenerator g, String field, double x) throws IOException {
    if (Double.isFinite(x)) {
      g.writeNumberField(field, x);
    } else {
      g.writeNullField(field);
    }
  }
}
