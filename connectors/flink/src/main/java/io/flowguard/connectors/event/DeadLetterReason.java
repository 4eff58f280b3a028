package io.flowguard.connectors.event;

/**
 * Why a record was rejected. One reason per record: decoding stops at the first problem found, in
 * document order for JSON and column order for CSV.
 */
public enum DeadLetterReason {
  /** The record is larger than the decoder's size limit; it was not parsed. */
  OVERSIZED,
  /** Not well-formed JSON: a syntax error, an empty record or trailing content. */
  NOT_JSON,
  /**
   * The record is not UTF-8: invalid UTF-8 bytes, or UTF-16 / UTF-32 (named in the message when
   * recognised by a byte-order mark or zero bytes). Events must be UTF-8 (RFC 8259); nothing else
   * is guessed.
   */
  NOT_UTF8,
  /** Well-formed JSON whose top-level value is not an object. */
  NOT_AN_OBJECT,
  /** Not a well-formed CSV line: an unterminated quote, text after a closing quote. */
  MALFORMED_CSV,
  /** A CSV line with more or fewer fields than the configured columns. */
  CSV_FIELD_COUNT,
  /** The same field name twice at the top level or within {@code features}. */
  DUPLICATE_FIELD,
  /**
   * A known top-level field with the wrong JSON type ({@code key} or {@code model} not a string,
   * {@code features} not an object, {@code values} not an array), an empty model name, or both
   * {@code features} and {@code values}.
   */
  INVALID_FIELD,
  /** No key, a null key or an empty key. */
  MISSING_KEY,
  /**
   * A key longer than the decoder's key limit in UTF-8 bytes ({@code events.max-key-bytes}): every
   * output record carries its key, so an unbounded key would make an unbounded output record.
   */
  KEY_TOO_LONG,
  /**
   * {@code ts} is not an integral number of epoch milliseconds in [0, 2^63), or it is absent and the
   * Kafka record carries no timestamp either.
   */
  INVALID_TIMESTAMP,
  /** Neither {@code features} nor {@code values}. */
  NO_FEATURES,
  /** A feature of the model's schema is absent (or, in CSV, empty). */
  MISSING_FEATURE,
  /**
   * A feature name that the model's schema does not have. Rejected rather than ignored: a misspelt or
   * renamed feature would otherwise be scored as if the data were fine.
   */
  EXTRA_FEATURE,
  /** A feature value that is a string, boolean, null, object or array (or non-numeric CSV text). */
  NON_NUMERIC_FEATURE,
  /** A feature value that is NaN or infinite, including numbers too large for a double. */
  NON_FINITE_FEATURE,
  /** {@code values} has more or fewer entries than the model has features. */
  WRONG_FEATURE_COUNT,
  /** The record names a model that the schema lookup does not know. */
  UNKNOWN_MODEL,
  /** Set by the job: the event waited for its model and none arrived in time. */
  NO_MODEL,
  /**
   * DataStream API: the user's feature extractor, key selector or model selector threw, or the key or
   * model name it gave was null or empty.
   */
  EXTRACTOR_FAILED
}
