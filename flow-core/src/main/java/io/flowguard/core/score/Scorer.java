package io.flowguard.core.score;

import io.flowguard.core.context.ContextEncoder;
import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.KeyHistory;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.nn.Workspace;

/**
 * The inference path that stream operators call: raw feature vectors in, log-density, NLL, calibrated
 * tail probability and an anomaly flag out.
 *
 * <p>Plain arrays, no allocation per event after warm-up, one instance per thread (it owns its scratch).
 * The log-density is exactly {@code Flow.logProb} of the preprocessed features plus the preprocessor's
 * log-Jacobian of the row, i.e. the density of the raw features. Invalid events (wrong dimension, NaN or infinite
 * values) are rejected with a typed reason and the offending column, never scored and never an
 * exception.
 */
public final class Scorer {

  /** Why an event was not scored. */
  public enum Rejection {
    NONE,
    WRONG_DIMENSION,
    NON_FINITE
  }

  /**
   * The reusable result of one event. Fields are overwritten by every call; copy what you keep.
   */
  public static final class Score {
    public double logDensity;
    public double nll;
    public double tailProbability;
    public boolean anomaly;
    public Rejection rejection = Rejection.NONE;
    /** The 0-based column of a non-finite value, or the length seen for a wrong dimension; -1 otherwise. */
    public int rejectedAt = -1;
    /**
     * Time-aware models: how many previous events of the key the score was conditioned on (fewer than the
     * model's window while the key warms up); 0 for a model without context.
     */
    public int historyEvents;
    /** Time-aware models: whether the key had fewer previous events than the model's window. */
    public boolean warmingUp;
    /** Time-aware models: whether the key's history was cleared before this event, and why. */
    public KeyHistory.Admission admission = KeyHistory.Admission.IN_ORDER;

    public boolean rejected() {
      return rejection != Rejection.NONE;
    }

    void reject(Rejection why, int at) {
      rejection = why;
      rejectedAt = at;
      logDensity = Double.NaN;
      nll = Double.NaN;
      tailProbability = Double.NaN;
      anomaly = false;
    }
  }

  private final FlowModel model;
  private final Flow flow;
  private final Preprocessor preprocessor;
  private final Calibration calibration;
  private final double falseAlarmRate;
  private final double nllThreshold;
  private final Workspace ws = new Workspace();
  /** The context encoder of a time-aware model; null for a model that scores events alone. */
  private final ContextEncoder encoder;
  private final double[] context;
  /** The empty history {@link #score} conditions on for a time-aware model. */
  private final KeyHistory noHistory;
  private double[] standardized = new double[0];
  private double[] logProb = new double[0];
  private int[] validRows = new int[0];
  private double[] rowLogJacobian = new double[0];

  /**
   * @param falseAlarmRate an event is an anomaly when its tail probability is below this rate (e.g. 1e-3:
   *     about one false alarm per thousand normal events)
   */
  public Scorer(FlowModel model, double falseAlarmRate) {
    if (!(falseAlarmRate > 0 && falseAlarmRate < 1)) {
      throw new IllegalArgumentException("the false-alarm rate must be in (0, 1), got " + falseAlarmRate);
    }
    this.model = model;
    this.flow = model.flow();
    this.preprocessor = model.preprocessor();
    this.calibration = model.calibration();
    this.falseAlarmRate = falseAlarmRate;
    this.nllThreshold = calibration.nllThreshold(falseAlarmRate);
    this.encoder = model.context().map(c -> new ContextEncoder(c, preprocessor.rawDim(), flow.dim(),
        preprocessor::apply)).orElse(null);
    this.context = new double[encoder == null ? 0 : encoder.dim()];
    this.noHistory = encoder == null ? null : encoder.newHistory();
    ensure(1);
  }

  public FlowModel model() {
    return model;
  }

  public double falseAlarmRate() {
    return falseAlarmRate;
  }

  /** The NLL above which an event is an anomaly at the configured false-alarm rate. */
  public double nllThreshold() {
    return nllThreshold;
  }

  /** Raw feature count expected per event (the model's schema). */
  public int rawDim() {
    return preprocessor.rawDim();
  }

  /** Scores one event; returns false (and fills {@code out.rejection}) when the event is invalid. */
  public boolean score(double[] raw, Score out) {
    return score(raw, 0, raw.length, out);
  }

  /**
   * Scores the {@code length} values at {@code raw[offset..]}. A time-aware model scores the event as the
   * first of a new key (no history: {@code out.warmingUp}); score a key's events with
   * {@link #scoreInContext} instead.
   */
  public boolean score(double[] raw, int offset, int length, Score out) {
    if (encoder != null) {
      noHistory.clear();
      return scoreInContext(raw, offset, length, noHistory, KeyHistory.NO_TIME, null, 0, out);
    }
    if (!validate(raw, offset, length, out)) {
      return false;
    }
    double logJacobian = preprocessor.apply(raw, offset, standardized, 0);
    flow.logProb(standardized, 1, logProb, ws);
    fill(logProb[0] + logJacobian, out);
    out.historyEvents = 0;
    out.warmingUp = false;
    out.admission = KeyHistory.Admission.IN_ORDER;
    return true;
  }

  /**
   * The context vector of the last event {@link #scoreInContext} scored (the live scratch array, overwritten by
   * the next call; empty for a model without context): what an explanation of that event conditions on.
   */
  public double[] lastContext() {
    return context;
  }

  /** The time-aware model's context rules, or empty for a model that scores events alone. */
  public java.util.Optional<ContextSpec> context() {
    return model.context();
  }

  /**
   * A new, empty history for one key of this model (null for a model without context). It holds the key's
   * raw feature vectors, so it serves every version of the model with the same features.
   */
  public KeyHistory newHistory() {
    return encoder == null ? null : encoder.newHistory();
  }

  /**
   * Scores one event of a key given the key's history, then appends the event to it: {@code log p(x_t |
   * the key's previous events, time, fields)}. The history rules ({@link KeyHistory#admit}) apply first;
   * {@code out.admission} says whether they cleared the history. An invalid event is rejected and leaves
   * the history as it was. For a model without context this is {@link #score(double[], int, int, Score)}
   * and {@code history} may be null.
   *
   * @param eventTime epoch milliseconds (for the time features and the gap and order rules)
   * @param fields the event's declared context fields at {@code fields[fieldsOff..]}, in the spec's order
   *     (may be null when the spec declares none)
   */
  public boolean scoreInContext(double[] raw, int offset, int length, KeyHistory history, long eventTime,
                                double[] fields, int fieldsOff, Score out) {
    if (encoder == null) {
      return score(raw, offset, length, out);
    }
    if (!validate(raw, offset, length, out)) {
      return false;
    }
    int nf = encoder.spec().fields().size();
    for (int i = 0; i < nf; i++) {
      if (fields == null || fieldsOff + i >= fields.length || !Double.isFinite(fields[fieldsOff + i])) {
        out.reject(fields == null || fieldsOff + i >= fields.length ? Rejection.WRONG_DIMENSION : Rejection.NON_FINITE,
            length + i);
        return false;
      }
    }
    out.admission = eventTime == KeyHistory.NO_TIME ? KeyHistory.Admission.IN_ORDER
        : history.admit(encoder.spec(), eventTime);
    out.historyEvents = history.count();
    out.warmingUp = history.warmingUp();
    double logJacobian = preprocessor.apply(raw, offset, standardized, 0);
    encoder.encode(history, eventTime, fields, fieldsOff, context, 0);
    flow.logProb(standardized, context, 1, logProb, ws);
    fill(logProb[0] + logJacobian, out);
    history.append(raw, offset, eventTime);
    return true;
  }

  /**
   * Scores n events of a row-major batch ({@code n x rawDim()}); invalid rows are rejected individually
   * and the rest scored together. {@code out} must hold at least n scores. Returns the number scored.
   */
  public int scoreBatch(double[] raw, int n, Score[] out) {
    if (encoder != null) {
      int scored = 0;
      for (int r = 0; r < n; r++) {
        scored += score(raw, r * rawDim(), rawDim(), out[r]) ? 1 : 0;
      }
      return scored;
    }
    int d = rawDim();
    if (raw.length < (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " rows of " + d + " values, got " + raw.length);
    }
    ensure(n);
    int valid = 0;
    for (int r = 0; r < n; r++) {
      if (validate(raw, r * d, d, out[r])) {
        rowLogJacobian[valid] = preprocessor.apply(raw, r * d, standardized, valid * flow.dim());
        validRows[valid++] = r;
      }
    }
    if (valid > 0) {
      flow.logProb(standardized, valid, logProb, ws);
      for (int i = 0; i < valid; i++) {
        fill(logProb[i] + rowLogJacobian[i], out[validRows[i]]);
      }
    }
    return valid;
  }

  private boolean validate(double[] raw, int offset, int length, Score out) {
    if (length != preprocessor.rawDim()) {
      out.reject(Rejection.WRONG_DIMENSION, length);
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (!Double.isFinite(raw[offset + i])) {
        out.reject(Rejection.NON_FINITE, i);
        return false;
      }
    }
    return true;
  }

  private void fill(double logDensity, Score out) {
    out.rejection = Rejection.NONE;
    out.rejectedAt = -1;
    out.logDensity = logDensity;
    out.nll = -logDensity;
    out.tailProbability = calibration.tailProbability(out.nll);
    out.anomaly = out.tailProbability < falseAlarmRate;
  }

  private void ensure(int n) {
    int d = flow.dim();
    if (standardized.length < n * d) {
      standardized = new double[n * d];
    }
    if (logProb.length < n) {
      logProb = new double[n];
      validRows = new int[n];
      rowLogJacobian = new double[n];
    }
  }

  /** A typicality window for one key, calibrated for window size M at level alpha. */
  public TypicalityWindow newWindow(int m, double alpha) {
    return new TypicalityWindow(m, calibration.entropy(), calibration.typicalityThreshold(m, alpha));
  }
}
