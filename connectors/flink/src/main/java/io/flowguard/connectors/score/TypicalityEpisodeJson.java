package io.flowguard.connectors.score;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON form of a {@link TypicalityEpisode} on the alerts topic, fields in this order:
 *
 * <pre>{@code
 * {"episode": "OPENED", "key": "pump-17", "model": "default", "modelVersion": "3", "window": 32,
 *  "ts": 1700000000000, "openedAt": 1700000000000, "events": 1, "statistic": 0.9, "threshold": 0.8,
 *  "peakStatistic": 0.9, "windowNlls": [2.1, ...]}
 * }</pre>
 *
 * The {@code episode} field tells these records from anomaly alerts (scored events) on the same topic.
 * Non-finite numbers are written as {@code null}.
 */
public final class TypicalityEpisodeJson {

  private static final JsonFactory FACTORY = new JsonFactory();

  private TypicalityEpisodeJson() {}

  public static byte[] toJson(TypicalityEpisode e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 24 * e.windowNlls().length);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("episode", e.kind().name());
      g.writeStringField("key", e.key());
      g.writeStringField("model", e.model());
      g.writeStringField("modelVersion", e.modelVersion());
      g.writeNumberField("window", e.window());
      g.writeNumberField("ts", e.eventTime());
      g.writeNumberField("openedAt", e.openedAt());
      g.writeNumberField("events", e.events());
      number(g, "statistic", e.statistic());
      number(g, "threshold", e.threshold());
      number(g, "peakStatistic", e.peakStatistic());
      g.writeArrayFieldStart("windowNlls");
      for (double v : e.windowNlls()) {
        if (Double.isFinite(v)) {
          g.writeNumber(v);
        } else {
          g.writeNull();
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException ex) {
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
