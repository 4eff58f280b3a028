package io.flowguard.connectors.model;

/** What a {@link ModelEvent} reports. */
public enum ModelEventKind {
  /** A challenger passed validation and was published as the new version. */
  PROMOTED,
  /** A challenger failed validation (or there was not enough data); the champion stays. */
  REJECTED,
  /** A person re-published an older version as the newest. */
  ROLLED_BACK,
  /** Retraining or publishing broke (an error, not a decision); the champion stays. */
  FAILED,
  /**
   * A running job refused a published version (reason {@code SCHEMA_CHANGED}: its features differ from
   * the active version's and it does not declare a schema change); the active version stays.
   */
  REFUSED
}
