package io.flowguard.connectors.model;

import io.flowguard.core.model.Retraining;
import java.util.List;
import java.util.Objects;

/**
 * One record of the model-events topic: what happened to a model version, and why. Written by
 * {@code flowguard retrain}, {@code flowguard models rollback}, the job's retraining and its scoring
 * operator (a refused schema change); read by people and alerting. JSON form: {@code ModelEventJson}
 * (flowguard-kafka).
 *
 * <p>A Flink POJO (a record of primitives, Strings and an enum) so the job can send it through its
 * operators without Kryo.
 *
 * @param model the model name (the record key)
 * @param kind what happened
 * @param challengerVersion the version that was promoted, rejected, re-published, failed or refused
 * @param championVersion the version in service before; 0 when there was none
 * @param reason a short stable code: a {@link Retraining.Reason} name for PROMOTED and REJECTED,
 *     {@code ROLLBACK} for ROLLED_BACK, a failure code (e.g. {@code PUBLISH_FAILED}) for FAILED,
 *     {@code SCHEMA_CHANGED} for REFUSED
 * @param message one sentence for people
 * @param challengerNll the challenger's mean held-out NLL (nats per row); NaN when not measured
 * @param championNll the champion's mean NLL on the same rows; NaN when not measured
 * @param candidateRows candidate rows the retraining started from (after anomaly filtering)
 * @param trainRows rows the challenger was trained on
 * @param heldOutRows rows the two models were compared on
 * @param trainSeconds training wall time
 * @param dataWindow what the data was (e.g. the topic, partitions and time window); for REFUSED, the
 *     refused version's features and the active version's ({@link #refusedSchemaChange}); may be empty
 * @param timestamp when it happened, epoch milliseconds
 */
public record ModelEvent(String model, ModelEventKind kind, int challengerVersion, int championVersion,
                         String reason, String message, double challengerNll, double championNll,
                         long candidateRows, long trainRows, long heldOutRows, double trainSeconds,
                         String dataWindow, long timestamp) {

  public ModelEvent {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(dataWindow, "dataWindow");
  }

  /** The event of a finished retraining: PROMOTED or REJECTED with the outcome's reason and metrics. */
  public static ModelEvent of(String model, Retraining.Outcome outcome, String dataWindow, long timestamp) {
    Retraining.Metrics m = outcome.metrics();
    return new ModelEvent(model, outcome.promoted() ? ModelEventKind.PROMOTED : ModelEventKind.REJECTED,
        m.challengerVersion(), m.championVersion().orElse(0), outcome.reason().name(), outcome.message(),
        m.challengerNll(), m.championNll(), m.candidateRows(), m.trainRows(), m.heldOutRows(), m.trainSeconds(),
        dataWindow, timestamp);
  }

  /** A retraining or publication that failed (nothing was promoted): {@code reason} is a short code. */
  public static ModelEvent failed(String model, int challengerVersion, int championVersion, String reason,
                                  String message, String dataWindow, long timestamp) {
    return new ModelEvent(model, ModelEventKind.FAILED, challengerVersion, championVersion, reason, message,
        Double.NaN, Double.NaN, 0, 0, 0, 0, dataWindow, timestamp);
  }

  /** A rollback: {@code newVersion} re-publishes {@code rolledBackTo}'s parameters over {@code replaced}. */
  public static ModelEvent rolledBack(String model, int newVersion, int replaced, int rolledBackTo, long timestamp) {
    return new ModelEvent(model, ModelEventKind.ROLLED_BACK, newVersion, replaced, "ROLLBACK",
        "v" + newVersion + " re-publishes the parameters of v" + rolledBackTo + ", replacing v" + replaced,
        Double.NaN, Double.NaN, 0, 0, 0, 0, "v" + rolledBackTo, timestamp);
  }

  /** {@link ModelEventKind#REFUSED}'s reason: the new version's features differ from the active one's. */
  public static final String SCHEMA_CHANGED = "SCHEMA_CHANGED";

  /**
   * A running job refused {@code refusedVersion} because its features differ from those of the active
   * version; the active version stays. The message says so in a sentence and {@code dataWindow} names
   * both schemas, {@code "features [a, b] refused, active [a, b, c]"}, so that an alert can show them
   * without parsing the message.
   */
  public static ModelEvent refusedSchemaChange(String model, int refusedVersion, List<String> refusedFeatures,
                                               int activeVersion, List<String> activeFeatures, String message,
                                               long timestamp) {
    return new ModelEvent(model, ModelEventKind.REFUSED, refusedVersion, activeVersion, SCHEMA_CHANGED, message,
        Double.NaN, Double.NaN, 0, 0, 0, 0, "features " + refusedFeatures + " refused, active " + activeFeatures,
        timestamp);
  }
}
