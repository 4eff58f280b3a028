package io.flowguard.core.model;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Where a model version sits in its model's history: which version it replaced, what it was trained on,
 * why it was made, and how it compared with its parent on held-out data. Stored in the provenance of the
 * model file ({@code provenance.lineage}, optional: models trained by {@code flowguard train} and files
 * written before lineage existed have none) and shown by {@code flowguard inspect} and
 * {@code flowguard models list}. Informational: scoring never reads it.
 *
 * @param parentVersion the version this one replaced (the champion it was validated against, or for a
 *     rollback the newest version at the time); empty for a first model
 * @param trigger why this version exists
 * @param data what the training data was, for people: e.g. {@code "topic events, partitions 0-3,
 *     2026-12-01T08:00:00Z..2026-12-02T08:00:00Z"}, or {@code "reservoir of 50000 normal events"}
 * @param dataRows candidate rows the retraining started from (before the hold-out split)
 * @param rollbackOf for a {@link Trigger#ROLLBACK}, the version whose parameters this one re-publishes
 * @param heldOutNll the model's mean NLL on the held-out slice it was validated on (nats per row,
 *     raw-feature space); NaN when not validated
 * @param parentHeldOutNll the parent's mean NLL on the same slice; NaN when there was no parent or no
 *     validation
 * @param schemaChange whether this version was published as a declared change of its model's feature
 *     schema ({@code flowguard publish --schema-change}): a job replaces a model by a version with other
 *     features only then (format version 4; absent in older files, meaning false)
 */
public record Lineage(OptionalInt parentVersion, Trigger trigger, String data, long dataRows, OptionalInt rollbackOf,
                      double heldOutNll, double parentHeldOutNll, boolean schemaChange) {

  /** A lineage that declares no schema change (every lineage before format version 4). */
  public Lineage(OptionalInt parentVersion, Trigger trigger, String data, long dataRows, OptionalInt rollbackOf,
                 double heldOutNll, double parentHeldOutNll) {
    this(parentVersion, trigger, data, dataRows, rollbackOf, heldOutNll, parentHeldOutNll, false);
  }

  /** Longest {@link #data} description kept; longer ones are cut (it is a label, not a log). */
  public static final int MAX_DATA_CHARS = 1000;

  /** Why a model version was made. */
  public enum Trigger {
    /** Trained from scratch: no parent. */
    INITIAL,
    /** Retrained by the job's schedule. */
    SCHEDULED,
    /** Retrained by the job because the population-level typicality alarm persisted. */
    DRIFT,
    /** Retrained by {@code flowguard retrain} (an offline refresh, e.g. from cron). */
    OFFLINE,
    /** A person re-published an older version's parameters ({@code flowguard models rollback}). */
    ROLLBACK;

    /** The lowercase name used in model files, events and listings, e.g. {@code scheduled}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The trigger of a {@link #code()}; throws IllegalArgumentException naming the known codes. */
    public static Trigger ofCode(String code) {
      for (Trigger t : values()) {
        if (t.code().equals(code)) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown lineage trigger '" + code
          + "'; expected initial, scheduled, drift, offline or rollback");
    }
  }

  public Lineage {
    Objects.requireNonNull(parentVersion, "parentVersion");
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(rollbackOf, "rollbackOf");
    if (data.length() > MAX_DATA_CHARS) {
      data = data.substring(0, MAX_DATA_CHARS);
    }
    if (dataRows < 0) {
      throw new IllegalArgumentException("lineage data rows must not be negative, got " + dataRows);
    }
    if (parentVersion.isPresent() && parentVersion.getAsInt() < 1
        || rollbackOf.isPresent() && rollbackOf.getAsInt() < 1) {
      throw new IllegalArgumentException("lineage versions must be at least 1, got parent " + parentVersion
          + ", rollback of " + rollbackOf);
    }
    if ((trigger == Trigger.ROLLBACK) != rollbackOf.isPresent()) {
      throw new IllegalArgumentException("a rollback names the version it re-publishes, and only a rollback does;"
          + " got trigger " + trigger.code() + " with rollbackOf " + rollbackOf);
    }
    if (Double.isInfinite(heldOutNll) || Double.isInfinite(parentHeldOutNll)) {
      // JSON has no infinity; a parent whose held-out NLL overflowed is recorded as absent.
      throw new IllegalArgumentException("held-out NLLs must be finite or NaN, got " + heldOutNll + ", "
          + parentHeldOutNll);
    }
  }

  /** The lineage of a retrained model, before validation figures are known. */
  public static Lineage retrained(OptionalInt parentVersion, Trigger trigger, String data, long dataRows) {
    if (trigger == Trigger.ROLLBACK) {
      throw new IllegalArgumentException("a rollback is not a retraining; use Lineage.rollback");
    }
    return new Lineage(parentVersion, trigger, data, dataRows, OptionalInt.empty(), Double.NaN, Double.NaN);
  }

  /** The lineage of a re-published older version: {@code rollbackOf}'s parameters, replacing {@code newest}. */
  public static Lineage rollback(int rollbackOf, int newest, String data, long dataRows) {
    return new Lineage(OptionalInt.of(newest), Trigger.ROLLBACK, data, dataRows, OptionalInt.of(rollbackOf),
        Double.NaN, Double.NaN);
  }

  /** This lineage with the validation figures filled in (a non-finite NLL is recorded as absent). */
  public Lineage withValidation(double heldOutNll, double parentHeldOutNll) {
    return new Lineage(parentVersion, trigger, data, dataRows, rollbackOf, finiteOrNaN(heldOutNll),
        finiteOrNaN(parentHeldOutNll), schemaChange);
  }

  /** This lineage declaring (or not) a change of the feature schema. */
  public Lineage withSchemaChange(boolean declared) {
    return new Lineage(parentVersion, trigger, data, dataRows, rollbackOf, heldOutNll, parentHeldOutNll,
        declared);
  }

  /** One line for listings, e.g. {@code scheduled from v3} or {@code rollback of v2 (replacing v5)}. */
  public String summary() {
    StringBuilder s = new StringBuilder(trigger.code());
    if (rollbackOf.isPresent()) {
      s.append(" of v").append(rollbackOf.getAsInt());
      parentVersion.ifPresent(p -> s.append(" (replacing v").append(p).append(')'));
    } else {
      parentVersion.ifPresent(p -> s.append(" from v").append(p));
    }
    if (schemaChange) {
      s.append(", schema change");
    }
    return s.toString();
  }

  private static double finiteOrNaN(double v) {
    return Double.isFinite(v) ? v : Double.NaN;
  }
}
