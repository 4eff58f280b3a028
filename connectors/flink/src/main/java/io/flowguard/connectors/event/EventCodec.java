package io.flowguard.connectors.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON event codec. One record is one JSON object:
 *
 * <pre>{@code
 * {"key": "pump-17", "model": "default", "ts": 1700000000000, "features": {"temp": 21.3, "pressure": 1.01}}
 * {"key": "pump-17", "values": [21.3, 1.01]}
 * }</pre>
 *
 * <ul>
 *   <li>{@code key}: required non-empty string.
 *   <li>{@code model}: optional non-empty string, default {@value Event#DEFAULT_MODEL}.
 *   <li>{@code ts}: optional integer epoch milliseconds, at least 0; default the Kafka record timestamp.
 *   <li>{@code features}: an object of name to number, in any order, matched by name against the
 *       model's feature names; or {@code values}: an array of numbers in the model's schema order.
 *       Exactly one of the two.
 *   <li>Other top-level fields are ignored, so producers may add metadata. A top-level {@code null} is
 *       treated as an absent field.
 * </ul>
 *
 * <p>Numbers are strict: a feature that is a string (even {@code "21.3"}), boolean, null, object,
 * array, {@code NaN} or {@code Infinity} token, or a number too large for a double is rejected with the
 * feature named. Duplicate names are rejected rather than resolved last-wins, because the two values
 * would silently disagree. Decoding uses Jackson's streaming parser: one pass, no tree.
 */
public final class EventCodec extends EventDecoder {

  private static final long serialVersionUID = 1L;

  // NaN and Infinity tokens are accepted by the parser only so that they can be reported as
  // NON_FINITE_FEATURE with the feature named, instead of as a bare syntax error.
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

  /** Above this many named features, duplicate detection switches from a scan to a hash set. */
  private static final int LINEAR_DUPLICATE_SCAN = 16;

  private static final int MAX_QUOTED_CHARS = 40;

  private static final Pattern SOURCE_NOTE =
      Pattern.compile("Source: REDACTED \\([^)]*\\); ");

  /** A codec with the default size limit and the system clock. */
  public EventCodec() {
    this(DEFAULT_MAX_RECORD_BYTES, Clock.systemUTC());
  }

  /**
   * @param maxRecordBytes larger records are rejected as {@link DeadLetterReason#OVERSIZED}
   * @param clock stamps dead letters
   */
  public EventCodec(int maxRecordBytes, Clock clock) {
    super(maxRecordBytes, clock);
  }

  /**
   * @param maxRecordBytes larger records are rejected as {@link DeadLetterReason#OVERSIZED}
   * @param maxKeyBytes longer keys (UTF-8 bytes) are rejected as {@link
   *     DeadLetterReason#KEY_TOO_LONG}
   * @param ignoreUnknownFeatures drop features the model does not know instead of rejecting the
   *     event as {@link DeadLetterReason#EXTRA_FEATURE}
   * @param clock stamps dead letters
   */
  public EventCodec(
      int maxRecordBytes, int maxKeyBytes, boolean ignoreUnknownFeatures, Clock clock) {
    super(maxRecordBytes, maxKeyBytes, ignoreUnknownFeatures, clock);
  }

  @Override
  protected Parsed<RawEvent> decodeWithinLimit(byte[] bytes, Origin origin, long recordTimestamp) {
    try (JsonParser p = FACTORY.createParser(bytes)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return reject(bytes, origin, DeadLetterReason.NOT_JSON, "empty record");
      }
      if (first != JsonToken.START_OBJECT) {
        // Read to the end first: a broken document is NOT_JSON whatever its first token.
        p.skipChildren();
        if (p.nextToken() != null) {
          return trailing(bytes, origin, p);
        }
        return reject(bytes, origin, DeadLetterReason.NOT_AN_OBJECT,
            "the top-level value is " + describe(first) + ", not an object");
      }
      return new ObjectReader(p, bytes, origin, recordTimestamp).read();
    } catch (JsonProcessingException e) {
      return reject(bytes, origin, DeadLetterReason.NOT_JSON, syntaxMessage(e));
    } catch (IOException e) {
      // Jackson reports some encoding problems (e.g. invalid UTF-32) as plain IOExceptions.
      return reject(bytes, origin, DeadLetterReason.NOT_JSON, String.valueOf(e.getMessage()));
    }
  }

  private Parsed<RawEvent> trailing(byte[] bytes, Origin origin, JsonParser p) {
    JsonLocation at = p.currentTokenLocation();
    return reject(bytes, origin, DeadLetterReason.NOT_JSON,
        "trailing content after the top-level value at line " + at.getLineNr() + ", column "
            + at.getColumnNr());
  }

  /** One record's top-level object; the parser stands on its START_OBJECT. */
  private final class ObjectReader {
    private final JsonParser p;
    private final byte[] bytes;
    private final Origin origin;
    private final long recordTimestamp;

    private String key = "";
    private boolean keySeen;
    private String model = Event.DEFAULT_MODEL;
    private boolean modelSeen;
    private long ts = -1;
    private boolean tsPresent;
    private boolean tsSeen;
    private boolean featuresSeen;
    private boolean valuesSeen;
    private boolean byName;
    private boolean hasFeatures;
    private final List<String> names = new ArrayList<>();
    private Set<String> nameSet;
    private double[] values = new double[8];
    private int count;

    ObjectReader(JsonParser p, byte[] bytes, Origin origin, long recordTimestamp) {
      this.p = p;
      this.bytes = bytes;
      this.origin = origin;
      this.recordTimestamp = recordTimestamp;
    }

    Parsed<RawEvent> read() throws IOException {
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        Parsed<RawEvent> problem =
            switch (field) {
              case "key" -> readKey(v);
              case "model" -> readModel(v);
              case "ts" -> readTs(v);
              case "features" -> readFeatures(v);
              case "values" -> readValues(v);
              default -> {
                p.skipChildren();
                yield null;
              }
            };
        if (problem != null) {
          return problem;
        }
      }
      if (t != JsonToken.END_OBJECT) {
        // The parser throws on malformed input, so this is unreachable; fail closed all the same.
        return reject(bytes, origin, DeadLetterReason.NOT_JSON, "unexpected token " + t);
      }
      if (p.nextToken() != null) {
        return trailing(bytes, origin, p);
      }
      if (!keySeen || key.isEmpty()) {
        return reject(bytes, origin, DeadLetterReason.MISSING_KEY,
            keySeen ? "'key' is null or empty" : "no 'key' field");
      }
      if (!hasFeatures) {
        return reject(bytes, origin, DeadLetterReason.NO_FEATURES,
            "neither 'features' (an object of name to number) nor 'values' (an array of numbers)");
      }
      if (!tsPresent) {
        if (recordTimestamp < 0) {
          return reject(bytes, origin, DeadLetterReason.INVALID_TIMESTAMP,
              "no 'ts' field and the record has no timestamp");
        }
        ts = recordTimestamp;
      }
      double[] v = Arrays.copyOf(values, count);
      return Parsed.ok(
          byName
              ? RawEvent.named(key, model, ts, names.toArray(new String[0]), v, bytes, origin)
              : RawEvent.positional(key, model, ts, v, bytes, origin));
    }

    private Parsed<RawEvent> duplicate(String field) {
      return reject(bytes, origin, DeadLetterReason.DUPLICATE_FIELD,
          "field '" + field + "' appears more than once");
    }

    private Parsed<RawEvent> readKey(JsonToken v) throws IOException {
      if (keySeen) {
        return duplicate("key");
      }
      keySeen = true;
      if (v == JsonToken.VALUE_STRING) {
        key = p.getText();
        return null;
      }
      if (v == JsonToken.VALUE_NULL) {
        return null;
      }
      return wrongType("key", "a string", v);
    }

    private Parsed<RawEvent> readModel(JsonToken v) throws IOException {
      if (modelSeen) {
        return duplicate("model");
      }
      modelSeen = true;
      if (v == JsonToken.VALUE_NULL) {
        return null;
      }
      if (v != JsonToken.VALUE_STRING) {
        return wrongType("model", "a string", v);
      }
      String m = p.getText();
      if (m.isEmpty()) {
        return reject(bytes, origin, DeadLetterReason.INVALID_FIELD, "'model' is empty");
      }
      model = m;
      return null;
    }

    private Parsed<RawEvent> readTs(JsonToken v) throws IOException {
      if (tsSeen) {
        return duplicate("ts");
      }
      tsSeen = true;
      if (v == JsonToken.VALUE_NULL) {
        return null;
      }
      if (v == JsonToken.VALUE_NUMBER_INT
          && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
          && p.getLongValue() >= 0) {
        ts = p.getLongValue();
        tsPresent = true;
        return null;
      }
      String got = shown(v);
      p.skipChildren();
      return reject(bytes, origin, DeadLetterReason.INVALID_TIMESTAMP,
          "'ts' must be an integer number of epoch milliseconds, at least 0; got " + got);
    }

    private Parsed<RawEvent> readFeatures(JsonToken v) throws IOException {
      if (featuresSeen) {
        return duplicate("features");
      }
      featuresSeen = true;
      if (v == JsonToken.VALUE_NULL) {
        return null;
      }
      if (v != JsonToken.START_OBJECT) {
        return wrongType("features", "an object of feature name to number", v);
      }
      if (hasFeatures) {
        return both();
      }
      hasFeatures = true;
      byName = true;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (isDuplicateName(name)) {
          return reject(bytes, origin, DeadLetterReason.DUPLICATE_FIELD,
              "feature '" + name + "' appears more than once");
        }
        Parsed<RawEvent> problem = readNumber(p.nextToken(), "feature '" + name + "'");
        if (problem != null) {
          return problem;
        }
        names.add(name);
      }
      return null;
    }

    private Parsed<RawEvent> readValues(JsonToken v) throws IOException {
      if (valuesSeen) {
        return duplicate("values");
      }
      valuesSeen = true;
      if (v == JsonToken.VALUE_NULL) {
        return null;
      }
      if (v != JsonToken.START_ARRAY) {
        return wrongType("values", "an array of numbers", v);
      }
      if (hasFeatures) {
        return both();
      }
      hasFeatures = true;
      byName = false;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        Parsed<RawEvent> problem = readNumber(t, "values[" + count + "]");
        if (problem != null) {
          return problem;
        }
      }
      return null;
    }

    /** Appends the number at token t, or returns the rejection naming {@code what}. */
    private Parsed<RawEvent> readNumber(JsonToken t, String what) throws IOException {
      if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
        String got = shown(t);
        p.skipChildren();
        return reject(bytes, origin, DeadLetterReason.NON_NUMERIC_FEATURE,
            what + " must be a number, got " + got);
      }
      double x = p.getDoubleValue();
      if (!Double.isFinite(x)) {
        return reject(bytes, origin, DeadLetterReason.NON_FINITE_FEATURE,
            what + " is not finite: " + quoted(p.getText()));
      }
      if (count == values.length) {
        values = Arrays.copyOf(values, count * 2);
      }
      values[count++] = x;
      return null;
    }

    private boolean isDuplicateName(String name) {
      if (nameSet != null) {
        return !nameSet.add(name);
      }
      if (names.contains(name)) {
        return true;
      }
      if (names.size() >= LINEAR_DUPLICATE_SCAN) {
        nameSet = new HashSet<>(names);
        nameSet.add(name);
      }
      return false;
    }

    private Parsed<RawEvent> both() {
      return reject(bytes, origin, DeadLetterReason.INVALID_FIELD,
          "both 'features' and 'values' are given; use one");
    }

    private Parsed<RawEvent> wrongType(String field, String expected, JsonToken v)
        throws IOException {
      String got = shown(v);
      p.skipChildren();
      return reject(bytes, origin, DeadLetterReason.INVALID_FIELD,
          "'" + field + "' must be " + expected + ", got " + got);
    }

    /** The token's kind, with its text for scalars. */
    private String shown(JsonToken t) throws IOException {
      return switch (t) {
        case VALUE_STRING -> "a string " + quoted(p.getText());
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + quoted(p.getText());
        case VALUE_TRUE, VALUE_FALSE -> "the boolean " + p.getText();
        default -> describe(t);
      };
    }
  }

  private static String describe(JsonToken t) {
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "a string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
      case VALUE_TRUE, VALUE_FALSE -> "a boolean";
      case VALUE_NULL -> "null";
      default -> t.toString();
    };
  }

  private static String quoted(String s) {
    String shown = s.length() <= MAX_QUOTED_CHARS ? s : s.substring(0, MAX_QUOTED_CHARS) + "...";
    return "\"" + shown + "\"";
  }

  private static String syntaxMessage(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where =
        at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    // Jackson may mention a redacted source location; it says nothing to a reader of dead letters.
    String message = SOURCE_NOTE.matcher(e.getOriginalMessage()).replaceAll("");
    return "not valid JSON" + where + ": " + message;
  }
}
