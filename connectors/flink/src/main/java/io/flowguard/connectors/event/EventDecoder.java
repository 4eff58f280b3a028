package io.flowguard.connectors.event;

import io.flowguard.flink.FeatureException;
import java.io.Serializable;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns record bytes into events in two steps, so that the job can hold events whose model has not
 * arrived yet:
 *
 * <ol>
 *   <li>{@link #decode}: syntax only (JSON or CSV, types, finiteness, key, timestamp) to a {@link
 *       RawEvent};
 *   <li>{@link #resolve}: match the features against the model's feature names to an {@link Event}.
 * </ol>
 *
 * {@link #parse} does both with a {@link SchemaLookup}. No method throws for bad input: every problem
 * becomes a {@link DeadLetter} carrying the original bytes exactly.
 *
 * <p>Instances are immutable and serializable (they travel inside Flink functions) and thread-safe.
 */
public abstract class EventDecoder implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Records larger than this (1 MiB) are rejected as {@link DeadLetterReason#OVERSIZED}. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;

  /**
   * Keys longer than this many UTF-8 bytes (1 KiB) are rejected as {@link
   * DeadLetterReason#KEY_TOO_LONG}: a key travels into every score and alert record.
   */
  public static final int DEFAULT_MAX_KEY_BYTES = 1024;

  private final int maxRecordBytes;
  private final int maxKeyBytes;
  private final boolean ignoreUnknownFeatures;
  private final Clock clock;

  /**
   * @param maxRecordBytes records with more bytes are rejected unparsed
   * @param clock stamps dead letters with the time of rejection
   */
  protected EventDecoder(int maxRecordBytes, Clock clock) {
    this(maxRecordBytes, DEFAULT_MAX_KEY_BYTES, false, clock);
  }

  /**
   * @param maxRecordBytes records with more bytes are rejected unparsed
   * @param maxKeyBytes events whose key has more UTF-8 bytes are rejected ({@link
   *     DeadLetterReason#KEY_TOO_LONG})
   * @param ignoreUnknownFeatures whether {@link #resolve} drops features the model does not know
   *     instead of rejecting the event ({@link DeadLetterReason#EXTRA_FEATURE})
   * @param clock stamps dead letters with the time of rejection
   */
  protected EventDecoder(
      int maxRecordBytes, int maxKeyBytes, boolean ignoreUnknownFeatures, Clock clock) {
    if (maxRecordBytes < 1) {
      throw new IllegalArgumentException("maxRecordBytes must be positive, got " + maxRecordBytes);
    }
    if (maxKeyBytes < 1) {
      throw new IllegalArgumentException("maxKeyBytes must be positive, got " + maxKeyBytes);
    }
    this.maxRecordBytes = maxRecordBytes;
    this.maxKeyBytes = maxKeyBytes;
    this.ignoreUnknownFeatures = ignoreUnknownFeatures;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public final int maxRecordBytes() {
    return maxRecordBytes;
  }

  /** The longest key accepted, in UTF-8 bytes. */
  public final int maxKeyBytes() {
    return maxKeyBytes;
  }

  /** Whether features that the model does not know are dropped rather than rejected. */
  public final boolean ignoresUnknownFeatures() {
    return ignoreUnknownFeatures;
  }

  /**
   * Decodes a record's syntax.
   *
   * @param bytes the record value
   * @param origin where the record came from
   * @param recordTimestamp the Kafka record timestamp (epoch ms; negative if the record has none): the
   *     event time when the record does not carry one
   */
  public final Parsed<RawEvent> decode(byte[] bytes, Origin origin, long recordTimestamp) {
    Objects.requireNonNull(bytes, "bytes");
    Objects.requireNonNull(origin, "origin");
    if (bytes.length > maxRecordBytes) {
      // Checked before parsing so that a huge record costs nothing but this comparison.
      return reject(bytes, origin, DeadLetterReason.OVERSIZED,
          "record has " + bytes.length + " bytes, the limit is " + maxRecordBytes);
    }
    // UTF-8 only (RFC 8259): checked before parsing, because Jackson would otherwise detect and
    // accept UTF-16 and UTF-32 on its own, and report invalid bytes only inside strings.
    Optional<String> notUtf8 = Utf8Check.problem(bytes);
    if (notUtf8.isPresent()) {
      return reject(bytes, origin, DeadLetterReason.NOT_UTF8, notUtf8.get());
    }
    Parsed<RawEvent> decoded = decodeWithinLimit(bytes, origin, recordTimestamp);
    if (decoded instanceof Parsed.Ok<RawEvent> ok) {
      int keyBytes = utf8Length(ok.value().key());
      if (keyBytes > maxKeyBytes) {
        return reject(bytes, origin, DeadLetterReason.KEY_TOO_LONG,
            "the key has " + keyBytes + " bytes (UTF-8), the limit is " + maxKeyBytes);
      }
    }
    return decoded;
  }

  /** The UTF-8 length of a string, without encoding it (an unpaired surrogate counts 3 bytes). */
  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Decodes a record already known to be within the size limit. */
  protected abstract Parsed<RawEvent> decodeWithinLimit(
      byte[] bytes, Origin origin, long recordTimestamp);

  /**
   * Matches a raw event's features against a model's feature names.
   *
   * <p>By name: every schema feature must be present ({@link DeadLetterReason#MISSING_FEATURE}) and
   * every given name must be in the schema ({@link DeadLetterReason#EXTRA_FEATURE}, unless this
   * decoder {@link #ignoresUnknownFeatures ignores unknown features}: then they are dropped); order
   * is free. By position: the count must match ({@link DeadLetterReason#WRONG_FEATURE_COUNT}).
   *
   * @param featureNames the model's feature names in schema order
   */
  public final Parsed<Event> resolve(RawEvent raw, List<String> featureNames) {
    double[] ordered = raw.byName() ? new double[featureNames.size()] : raw.values();
    try {
      resolveInto(raw, featureNames, ordered, ignoreUnknownFeatures);
    } catch (FeatureException e) {
      return reject(raw, e.reason(), e.getMessage());
    }
    return Parsed.ok(new Event(raw.key(), raw.model(), raw.eventTime(), ordered, raw.origin()));
  }

  /**
   * {@link #resolve(RawEvent, List)} without allocation: writes the features in schema order into
   * {@code out} (length = the schema's size) or throws with the reason and message {@code resolve}
   * gives. The scoring operator calls this once per event with a reused array.
   */
  public static void resolveInto(RawEvent raw, List<String> featureNames, double[] out,
      boolean ignoreUnknownFeatures) throws FeatureException {
    int d = featureNames.size();
    if (!raw.byName()) {
      double[] values = raw.values();
      if (values.length != d) {
        throw new FeatureException(DeadLetterReason.WRONG_FEATURE_COUNT,
            "'values' has " + values.length + " entries, model '" + raw.model()
                + "' has " + d + " (features " + featureNames + ")");
      }
      if (values != out) {
        System.arraycopy(values, 0, out, 0, d);
      }
      return;
    }
    String[] names = raw.featureNames();
    double[] given = raw.values();
    List<String> missing = null;
    // Linear search: schemas are tens of features, where this beats building a hash map per event.
    // The search starts where the previous name was found, so a record in schema order costs one
    // comparison per feature.
    int hint = 0;
    for (int j = 0; j < d; j++) {
      String wanted = featureNames.get(j);
      int at = indexOf(names, wanted, hint);
      if (at < 0) {
        if (missing == null) {
          missing = new ArrayList<>();
        }
        missing.add(wanted);
      } else {
        out[j] = given[at];
        hint = at + 1;
      }
    }
    if (missing != null) {
      throw new FeatureException(DeadLetterReason.MISSING_FEATURE,
          "missing feature(s) " + missing + " for model '" + raw.model() + "' (features "
              + featureNames + ")");
    }
    if (names.length != d && !ignoreUnknownFeatures) {
      // All schema features were found and names are unique, so the rest are not in the schema.
      List<String> extra = new ArrayList<>();
      for (String name : names) {
        if (!featureNames.contains(name)) {
          extra.add(name);
        }
      }
      throw new FeatureException(DeadLetterReason.EXTRA_FEATURE,
          "unknown feature(s) " + extra + " for model '" + raw.model() + "' (features "
              + featureNames + ")");
    }
  }

  /** Resolves against the lookup's schema; {@link DeadLetterReason#UNKNOWN_MODEL} if it has none. */
  public final Parsed<Event> resolve(RawEvent raw, SchemaLookup lookup) {
    Optional<List<String>> names = lookup.featureNames(raw.model());
    if (names.isEmpty()) {
      return reject(raw, DeadLetterReason.UNKNOWN_MODEL, "unknown model '" + raw.model() + "'");
    }
    return resolve(raw, names.get());
  }

  /** {@link #decode} then {@link #resolve(RawEvent, SchemaLookup)}. */
  public final Parsed<Event> parse(
      byte[] bytes, Origin origin, long recordTimestamp, SchemaLookup lookup) {
    return decode(bytes, origin, recordTimestamp).flatMap(raw -> resolve(raw, lookup));
  }

  /**
   * A dead letter for a raw event rejected after decoding (e.g. {@link DeadLetterReason#NO_MODEL} by
   * the job), stamped with this decoder's clock.
   */
  public final DeadLetter deadLetter(RawEvent raw, DeadLetterReason reason, String message) {
    return new DeadLetter(reason, message, raw.original(), raw.origin(), clock.millis());
  }

  /** A rejection of undecoded bytes, stamped with this decoder's clock. */
  protected final <T> Parsed<T> reject(
      byte[] bytes, Origin origin, DeadLetterReason reason, String message) {
    return Parsed.rejected(new DeadLetter(reason, message, bytes, origin, clock.millis()));
  }

  private <T> Parsed<T> reject(RawEvent raw, DeadLetterReason reason, String message) {
    return Parsed.rejected(deadLetter(raw, reason, message));
  }

  /** The index of {@code name} in {@code names}, searching from {@code from} and wrapping around. */
  private static int indexOf(String[] names, String name, int from) {
    int n = names.length;
    for (int k = 0; k < n; k++) {
      int i = from + k < n ? from + k : from + k - n;
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }
}
