package io.flowguard.core.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.context.ContextEncoder;
import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.RawContexts;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.data.Shuffle;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingException;
import io.flowguard.core.train.TrainingListener;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * The one retraining procedure of Flowguard, shared by {@code flowguard retrain} and the job's
 * {@code RetrainFunction}: train a challenger on recent normal rows and decide whether it may replace the
 * champion.
 *
 * <p><b>Procedure</b> ({@link #run}):
 * <ol>
 *   <li>Fewer than {@link Settings#minRows} candidate rows: rejected, {@link Reason#NOT_ENOUGH_DATA}.</li>
 *   <li>A seeded random {@link Settings#holdOutFraction} of the candidates is held out (or the caller's
 *       explicit held-out table is used and every candidate is trained on).</li>
 *   <li>The challenger is trained by {@link ModelTrainer#train} with the champion's spec and the training
 *       configuration and preprocessing options recorded in its provenance ({@link #trainingConfigFor},
 *       {@link Provenance#preprocessingOptions}), or the automatic one without a
 *       champion ({@link ModelTrainer.Options#automatic}); its version is the champion's + 1 (1 without one) and its provenance carries a
 *       {@link Lineage}.</li>
 *   <li>Validation on the held-out rows, in this order (the first failing check is the reason):
 *       every challenger NLL finite ({@link Reason#NON_FINITE_NLL}); calibration sane: finite entropy,
 *       a tail with a finite mean (GPD shape {@code xi < 1}) and, at {@link Settings#falseAlarmRate} r, a
 *       held-out false-alarm rate of at most {@code 2 r + 4 sqrt(r (1 - r) (1 / n + 1 / m))} for n
 *       held-out and m calibration rows ({@link Reason#CALIBRATION_UNSOUND}); and the challenger's mean held-out NLL at most the
 *       champion's plus {@link Settings#toleranceNats} ({@link Reason#WORSE_NLL}).</li>
 * </ol>
 * Mean NLLs of the two models are comparable although their preprocessors differ: both are densities
 * of the raw features (each NLL includes its preprocessor's log-Jacobian), evaluated on the same rows,
 * which neither model was trained or calibrated on.
 *
 * <p><b>Time-aware champions</b> ({@link FlowModel#context()}): every candidate row comes with its raw context
 * ({@link Request#withContexts}: the key's previous raw events, the event time, the declared fields), without
 * which the request is rejected as {@link Reason#MISSING_CONTEXT}. The challenger keeps the champion's
 * {@link ContextSpec} and spec, is trained by {@link ModelTrainer#trainInContext(Dataset, RawContexts,
 * ModelTrainer.Options, TrainingListener)} (its own preprocessing reads the raw histories), and both models
 * score each held-out row given its context, each through its own preprocessing. Contexts given with a
 * champion that has none are ignored.
 *
 * <p>Pure and thread-safe: nothing is shared between calls, the champion is only read, so the job may
 * run it on a background thread. The same request and seed give the same challenger parameters and
 * decision (only timestamps and seconds differ).
 */
public final class Retraining {

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final long HOLD_OUT_SALT = 0x5DEECE66DL;

  private Retraining() {}

  /**
   * How retraining validates.
   *
   * @param holdOutFraction fraction of the candidate rows held out for the champion-vs-challenger
   *     comparison, in (0, 0.9)
   * @param minRows fewer candidate rows than this and nothing is trained (at least 100)
   * @param toleranceNats how much worse (nats per row, mean held-out NLL of the whole feature vector) the
   *     challenger may be and still be promoted: absorbs the seed-to-seed spread of equally good models,
   *     so that a refresh on unchanged data is not rejected by noise; non-negative
   * @param falseAlarmRate the rate at which the challenger's calibration is checked on the held-out rows
   *     (use the job's {@code false.alarm.rate}), in (0, 0.5)
   * @param calibrationFraction the share of the training rows {@link ModelTrainer} holds out to calibrate
   *     the challenger, in (0, 1)
   * @param maxSteps an upper bound on optimizer steps (bounds training time in the job); 0 for none
   */
  public record Settings(double holdOutFraction, int minRows, double toleranceNats, double falseAlarmRate,
                         double calibrationFraction, int maxSteps) {
    public Settings {
      if (!(holdOutFraction > 0 && holdOutFraction < 0.9)) {
        throw new IllegalArgumentException("hold-out fraction must be in (0, 0.9), got " + holdOutFraction);
      }
      if (minRows < 100) {
        throw new IllegalArgumentException("minimum rows must be at least 100 (a model needs rows to train,"
            + " calibrate and validate on), got " + minRows);
      }
      if (!(toleranceNats >= 0) || Double.isInfinite(toleranceNats)) {
        throw new IllegalArgumentException("tolerance must be a finite number of nats >= 0, got " + toleranceNats);
      }
      if (!(falseAlarmRate > 0 && falseAlarmRate < 0.5)) {
        throw new IllegalArgumentException("false-alarm rate must be in (0, 0.5), got " + falseAlarmRate);
      }
      if (!(calibrationFraction > 0 && calibrationFraction < 1)) {
        throw new IllegalArgumentException("calibration fraction must be in (0, 1), got " + calibrationFraction);
      }
      if (maxSteps < 0) {
        throw new IllegalArgumentException("max steps must be 0 (no bound) or positive, got " + maxSteps);
      }
    }

    /** Hold out 20 %, at least 1000 rows, tolerance 0.1 nats, false-alarm rate 1e-3, calibrate on 20 %, no step bound. */
    public static Settings defaults() {
      return new Settings(0.2, 1000, 0.1, 1e-3, 0.2, 0);
    }

    public Settings withHoldOutFraction(double f) {
      return new Settings(f, minRows, toleranceNats, falseAlarmRate, calibrationFraction, maxSteps);
    }

    public Settings withMinRows(int n) {
      return new Settings(holdOutFraction, n, toleranceNats, falseAlarmRate, calibrationFraction, maxSteps);
    }

    public Settings withToleranceNats(double t) {
      return new Settings(holdOutFraction, minRows, t, falseAlarmRate, calibrationFraction, maxSteps);
    }

    public Settings withFalseAlarmRate(double r) {
      return new Settings(holdOutFraction, minRows, toleranceNats, r, calibrationFraction, maxSteps);
    }

    public Settings withCalibrationFraction(double f) {
      return new Settings(holdOutFraction, minRows, toleranceNats, falseAlarmRate, f, maxSteps);
    }

    public Settings withMaxSteps(int s) {
      return new Settings(holdOutFraction, minRows, toleranceNats, falseAlarmRate, calibrationFraction, s);
    }
  }

  /**
   * One retraining.
   *
   * @param name the model name (the champion's when there is one)
   * @param champion the model in service; empty for a first training
   * @param candidates normal raw rows; with a champion, its feature names must all be columns (extra
   *     columns are ignored, order does not matter)
   * @param heldOut an explicit validation table (same columns rule); empty to hold out a seeded share of
   *     the candidates
   * @param seed seeds the hold-out split and the challenger's training
   * @param trigger why this retraining runs (recorded in the lineage; not {@code ROLLBACK})
   * @param dataDescription what the candidates are, for the lineage and events (e.g. the topic window)
   * @param settings validation settings
   * @param contexts the raw context of each candidate row (required with a time-aware champion, ignored with
   *     a champion without context; without a champion, a time-aware first model is trained on them)
   * @param heldOutContexts the raw context of each row of an explicit {@code heldOut} table (required with it
   *     when the model is time-aware)
   */
  public record Request(String name, Optional<FlowModel> champion, Dataset candidates, Optional<Dataset> heldOut,
                        long seed, Lineage.Trigger trigger, String dataDescription, Settings settings,
                        Optional<RawContexts> contexts, Optional<RawContexts> heldOutContexts) {
    public Request {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(champion, "champion");
      Objects.requireNonNull(candidates, "candidates");
      Objects.requireNonNull(heldOut, "heldOut");
      Objects.requireNonNull(trigger, "trigger");
      Objects.requireNonNull(dataDescription, "dataDescription");
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(contexts, "contexts");
      Objects.requireNonNull(heldOutContexts, "heldOutContexts");
      if (contexts.isPresent() && contexts.get().rows() != candidates.rows()) {
        throw new IllegalArgumentException("the request has " + candidates.rows() + " candidate rows but "
            + contexts.get().rows() + " raw contexts: give one context per row");
      }
      if (heldOutContexts.isPresent() && heldOut.map(h -> h.rows() != heldOutContexts.get().rows()).orElse(true)) {
        throw new IllegalArgumentException("raw contexts of held-out rows need the held-out table, one per row");
      }
      if (trigger == Lineage.Trigger.ROLLBACK) {
        throw new IllegalArgumentException("a rollback re-publishes a version, it does not retrain: use"
            + " Retraining.rollback");
      }
      if (champion.isPresent() && !champion.get().name().equals(name)) {
        throw new IllegalArgumentException("the request is for model '" + name + "' but the champion is '"
            + champion.get().name() + "'");
      }
    }

    /** A request without raw contexts (for a champion that scores events alone). */
    public Request(String name, Optional<FlowModel> champion, Dataset candidates, Optional<Dataset> heldOut,
                   long seed, Lineage.Trigger trigger, String dataDescription, Settings settings) {
      this(name, champion, candidates, heldOut, seed, trigger, dataDescription, settings, Optional.empty(),
          Optional.empty());
    }

    /** Retrain the champion on candidates, holding out a seeded share of them. */
    public static Request refresh(FlowModel champion, Dataset candidates, long seed, Lineage.Trigger trigger,
                                  String dataDescription, Settings settings) {
      return new Request(champion.name(), Optional.of(champion), candidates, Optional.empty(), seed, trigger,
          dataDescription, settings);
    }

    /** This request with the raw context of each candidate row (what a time-aware champion conditions on). */
    public Request withContexts(RawContexts rowContexts) {
      return new Request(name, champion, candidates, heldOut, seed, trigger, dataDescription, settings,
          Optional.of(rowContexts), heldOutContexts);
    }

    /** This request validating on an explicit table, each row with its raw context. */
    public Request withHeldOut(Dataset table, RawContexts tableContexts) {
      return new Request(name, champion, candidates, Optional.of(table), seed, trigger, dataDescription, settings,
          contexts, Optional.of(tableContexts));
    }

    /** Train a first model (no champion: any challenger that passes the sanity checks is promoted). */
    public static Request initial(String name, Dataset candidates, long seed, String dataDescription,
                                  Settings settings) {
      return new Request(name, Optional.empty(), candidates, Optional.empty(), seed, Lineage.Trigger.INITIAL,
          dataDescription, settings);
    }

    /** This request validating on an explicit table instead of a share of the candidates. */
    public Request withHeldOut(Dataset table) {
      return new Request(name, champion, candidates, Optional.of(table), seed, trigger, dataDescription, settings,
          contexts, Optional.empty());
    }
  }

  /** Whether the challenger replaces the champion. */
  public enum Decision {
    PROMOTED,
    REJECTED
  }

  /** Why: a short stable code ({@link #name()}) for metrics, events and scripts. */
  public enum Reason {
    /** Promoted: every check passed. */
    VALIDATED,
    /** Too few candidate (or held-out) rows to train and validate. */
    NOT_ENOUGH_DATA,
    /**
     * The champion is time-aware but the rows come without their contexts (or with contexts of another
     * definition): a challenger cannot be trained or compared without each row's history.
     */
    MISSING_CONTEXT,
    /** Training itself failed (diverged, or the data cannot be modelled, e.g. every column constant). */
    TRAINING_FAILED,
    /** The challenger gave a non-finite NLL on a held-out row. */
    NON_FINITE_NLL,
    /** The challenger's calibration is not usable (tail without a finite mean, or too many false alarms). */
    CALIBRATION_UNSOUND,
    /** The challenger's mean held-out NLL is worse than the champion's by more than the tolerance. */
    WORSE_NLL
  }

  /**
   * What one retraining measured. NLLs are means over the held-out rows (nats per row, raw-feature
   * space); NaN where not measured (e.g. no champion, or rejected before training).
   *
   * @param challengerVersion the version the challenger got (or would have got)
   * @param championVersion the champion's version; empty without one
   * @param challengerNll the challenger's mean held-out NLL
   * @param championNll the champion's mean held-out NLL; +infinity if some row's NLL overflowed
   * @param heldOutFalseAlarmRate fraction of held-out rows the challenger flags at the settings' rate
   * @param candidateRows candidate rows given
   * @param trainRows rows the challenger was trained on (including its calibration share)
   * @param heldOutRows rows the models were compared on
   * @param trainSeconds training wall time
   */
  public record Metrics(int challengerVersion, OptionalInt championVersion, double challengerNll, double championNll,
                        double heldOutFalseAlarmRate, int candidateRows, int trainRows, int heldOutRows,
                        double trainSeconds) {
    public Metrics {
      Objects.requireNonNull(championVersion, "championVersion");
    }
  }

  /**
   * The result: a decision with its reason (a code and a sentence for people), the metrics, and the
   * challenger when it was promoted. Immutable; treat the model as read-only.
   */
  public record Outcome(Decision decision, Reason reason, String message, Metrics metrics,
                        Optional<FlowModel> challenger) {
    public Outcome {
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(challenger, "challenger");
      if ((decision == Decision.PROMOTED) != challenger.isPresent()
          || (decision == Decision.PROMOTED) != (reason == Reason.VALIDATED)) {
        throw new IllegalArgumentException("a promoted outcome has the challenger and reason VALIDATED, a rejected"
            + " one neither; got " + decision + ", " + reason + ", challenger " + challenger.isPresent());
      }
    }

    public boolean promoted() {
      return decision == Decision.PROMOTED;
    }
  }

  /**
   * Rows kept by {@link #dropAnomalies} and how many were dropped; for a time-aware champion, the kept rows'
   * raw contexts.
   */
  public record Filtered(Dataset kept, int dropped, Optional<RawContexts> contexts) {
    public Filtered {
      Objects.requireNonNull(kept, "kept");
      Objects.requireNonNull(contexts, "contexts");
    }

    public Filtered(Dataset kept, int dropped) {
      this(kept, dropped, Optional.empty());
    }
  }

  // ------------------------------------------------------------------------------------------ running

  /** Runs a retraining without progress reports. */
  public static Outcome run(Request request) {
    return run(request, TrainingListener.NONE);
  }

  /**
   * Runs a retraining (see the class comment). Only a caller's mistake throws (a champion column missing
   * from the candidates, non-finite candidate values); every data-dependent failure is a rejected
   * {@link Outcome}. A listener may abort training by throwing; that exception propagates.
   *
   * @throws IllegalArgumentException for a table that does not fit the champion's schema or holds a
   *     non-finite value
   */
  public static Outcome run(Request request, TrainingListener listener) {
    Settings s = request.settings();
    Optional<FlowModel> champion = request.champion();
    int version = champion.map(c -> c.version() + 1).orElse(1);
    OptionalInt championVersion = champion.map(c -> OptionalInt.of(c.version())).orElse(OptionalInt.empty());
    Dataset candidates = schemaOrder(request.candidates(), champion, "the candidate rows");
    int n = candidates.rows();
    // A time-aware champion's challenger conditions on what it does; a first model is time-aware when the
    // rows come with contexts; a champion without context ignores any.
    Optional<ContextSpec> context = champion.isPresent() ? champion.get().context()
        : request.contexts().map(RawContexts::spec);
    if (context.isPresent()) {
      String missing = missingContext(request, context.get(), candidates);
      if (missing != null) {
        Metrics m = new Metrics(version, championVersion, Double.NaN, Double.NaN, Double.NaN, n, 0, 0, 0);
        return rejected(Reason.MISSING_CONTEXT, missing, m);
      }
    }
    Optional<RawContexts> contexts = context.isPresent() ? request.contexts() : Optional.empty();

    Dataset train;
    Dataset heldOut;
    Optional<RawContexts> trainContexts;
    Optional<RawContexts> heldOutContexts;
    if (request.heldOut().isPresent()) {
      train = candidates;
      heldOut = columnsInOrder(request.heldOut().get(), Optional.of(candidates.columns()), "the held-out rows");
      trainContexts = contexts;
      heldOutContexts = context.isPresent() ? request.heldOutContexts() : Optional.empty();
    } else {
      int nHold = (int) Math.round(n * s.holdOutFraction());
      int[] order = Shuffle.permutation(n, new SplittableRandom(request.seed() ^ HOLD_OUT_SALT));
      int[] holdRows = Arrays.copyOfRange(order, 0, nHold);
      int[] trainRows = Arrays.copyOfRange(order, nHold, n);
      Arrays.sort(holdRows);
      Arrays.sort(trainRows);
      train = candidates.rows(trainRows);
      heldOut = candidates.rows(holdRows);
      trainContexts = contexts.map(c -> c.select(trainRows));
      heldOutContexts = contexts.map(c -> c.select(holdRows));
    }
    int minHeldOut = 5 * Calibration.MIN_VALIDATION;
    if (n < s.minRows() || heldOut.rows() < minHeldOut) {
      Metrics m = new Metrics(version, championVersion, Double.NaN, Double.NaN, Double.NaN, n, train.rows(),
          heldOut.rows(), 0);
      String why = n < s.minRows()
          ? n + " candidate rows, fewer than the " + s.minRows() + " required"
          : heldOut.rows() + " held-out rows, fewer than the " + minHeldOut + " required";
      return rejected(Reason.NOT_ENOUGH_DATA, "not enough data: " + why + "; the champion stays"
          + " (collect a longer window, or lower the minimum)", m);
    }

    ModelTrainer.Options options;
    if (champion.isPresent()) {
      TrainingConfig config = trainingConfigFor(champion, train.rows(), request.seed(), s);
      options = new ModelTrainer.Options(request.name(), version, champion.get().spec(), config,
          s.calibrationFraction(), champion.get().provenance().preprocessingOptions());
    } else {
      // A first model gets what `flowguard train` would choose for these rows (AutoConfig), within the step bound.
      ModelTrainer.Options auto = ModelTrainer.Options.automatic(request.name(), version, train, request.seed(),
          s.calibrationFraction());
      options = new ModelTrainer.Options(request.name(), version, auto.spec(), capSteps(auto.training(), s),
          s.calibrationFraction());
    }
    long t0 = System.nanoTime();
    FlowModel challenger;
    try {
      challenger = trainContexts.isPresent()
          ? ModelTrainer.trainInContext(train, trainContexts.get(), options, listener).model()
          : ModelTrainer.train(train, options, listener).model();
    } catch (TrainingException | IllegalArgumentException e) {
      double sec = (System.nanoTime() - t0) / 1e9;
      Metrics m = new Metrics(version, championVersion, Double.NaN, Double.NaN, Double.NaN, n, train.rows(),
          heldOut.rows(), sec);
      return rejected(Reason.TRAINING_FAILED, "training the challenger failed: " + e.getMessage(), m);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;

    double[] challengerNll = nll(challenger, heldOut, heldOutContexts);
    double challengerMean = mean(challengerNll);
    double championMean = champion.map(c -> mean(nll(c, heldOut, heldOutContexts))).orElse(Double.NaN);
    if (Double.isNaN(championMean) && champion.isPresent()) {
      championMean = Double.POSITIVE_INFINITY; // NaN only from inf - inf: the champion cannot score these rows
    }
    double alarmRate = Double.NaN;
    int firstBad = firstNonFinite(challengerNll);
    if (firstBad < 0) {
      alarmRate = alarmRate(challenger.calibration(), challengerNll, s.falseAlarmRate());
    }
    Metrics m = new Metrics(version, championVersion, Double.isFinite(challengerMean) ? challengerMean : Double.NaN,
        championMean, alarmRate, n, train.rows(), heldOut.rows(), seconds);
    if (firstBad >= 0) {
      return rejected(Reason.NON_FINITE_NLL, "the challenger's NLL of held-out row " + firstBad + " is "
          + challengerNll[firstBad] + ": it cannot score normal data", m);
    }
    String calibrationProblem = calibrationProblem(challenger.calibration(), alarmRate, s.falseAlarmRate(),
        heldOut.rows());
    if (calibrationProblem != null) {
      return rejected(Reason.CALIBRATION_UNSOUND, "the challenger's calibration is unsound: " + calibrationProblem, m);
    }
    if (champion.isPresent() && challengerMean > championMean + s.toleranceNats()) {
      return rejected(Reason.WORSE_NLL, String.format(Locale.ROOT, "the challenger's mean held-out NLL %.4f is worse"
          + " than the champion's %.4f by more than the tolerance %.3g nats on %d rows; the champion v%d stays",
          challengerMean, championMean, s.toleranceNats(), heldOut.rows(), champion.get().version()), m);
    }

    Lineage lineage = Lineage.retrained(championVersion, request.trigger(), request.dataDescription(), n)
        .withValidation(challengerMean, championMean);
    // The champion's recommended false-alarm rate is an operator's choice for this model name: kept.
    FlowModel stamped = new FlowModel(challenger.name(), challenger.version(), challenger.preprocessor(),
        challenger.flow(), challenger.calibration(), challenger.provenance().withLineage(lineage),
        champion.map(FlowModel::recommendedFalseAlarmRate).orElse(java.util.OptionalDouble.empty()),
        challenger.featureStatistics(), challenger.context());
    String message = champion.isPresent()
        ? String.format(Locale.ROOT, "v%d promoted over v%d: mean held-out NLL %.4f vs %.4f on %d rows", version,
            champion.get().version(), challengerMean, championMean, heldOut.rows())
        : String.format(Locale.ROOT, "v%d promoted (first model): mean held-out NLL %.4f on %d rows", version,
            challengerMean, heldOut.rows());
    return new Outcome(Decision.PROMOTED, Reason.VALIDATED, message, m, Optional.of(stamped));
  }

  /**
   * The training configuration of a retraining: the champion's, as recorded in its provenance (fields it
   * does not record take their defaults), with {@code steps} and {@code evalEvery} rescaled by
   * {@code rows / champion's training rows} so that the number of passes over the data stays what it
   * was, then bounded by {@link Settings#maxSteps}; without a champion, {@link #defaultConfig}. The seed is
   * {@code seed}.
   */
  public static TrainingConfig trainingConfigFor(Optional<FlowModel> champion, int rows, long seed, Settings s) {
    TrainingConfig c;
    if (champion.isEmpty()) {
      c = defaultConfig(rows, seed);
    } else {
      Provenance p = champion.get().provenance();
      c = recordedConfig(p.trainingConfig());
      double ratio = p.trainingRows() > 0 ? rows / (double) p.trainingRows() : 1.0;
      int steps = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2, Math.round(c.steps() * ratio)));
      int evalEvery = (int) Math.max(1, Math.min(steps, Math.round(c.evalEvery() * ratio)));
      c = c.withSteps(steps).withEvalEvery(evalEvery).withSeed(seed);
    }
    return capSteps(c, s);
  }

  private static TrainingConfig capSteps(TrainingConfig c, Settings s) {
    if (s.maxSteps() > 0 && c.steps() > s.maxSteps()) {
      return c.withSteps(s.maxSteps()).withEvalEvery(Math.min(c.evalEvery(), s.maxSteps()));
    }
    return c;
  }

  /**
   * The configuration {@code flowguard train} uses by default for {@code rows} rows: at most 100 epochs of
   * minibatches of 256, early stopping after 10 epochs without improvement on a 10 % validation split.
   */
  public static TrainingConfig defaultConfig(int rows, long seed) {
    TrainingConfig d = TrainingConfig.defaults();
    int fitRows = Math.max(1, (int) Math.round(rows * (1 - d.validationFraction())));
    int stepsPerEpoch = Math.max(1, fitRows / Math.max(1, Math.min(d.batchSize(), fitRows)));
    return d.withSteps(100 * stepsPerEpoch).withEvalEvery(stepsPerEpoch).withPatience(10).withSeed(seed);
  }

  /** A provenance's training configuration over the defaults, so older or newer records still give one. */
  static TrainingConfig recordedConfig(Map<String, Object> recorded) {
    Map<String, Object> merged = JSON.convertValue(TrainingConfig.defaults(),
        new TypeReference<LinkedHashMap<String, Object>>() {});
    merged.putAll(recorded);
    try {
      return JSON.convertValue(merged, TrainingConfig.class);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the champion's recorded training configuration " + recorded
          + " is not usable: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------------------------------ helpers

  /**
   * Drops the rows the champion flags as anomalies at {@code falseAlarmRate} (tail probability below it),
   * so that a refresh never learns from what it should catch. The kept rows keep their order.
   *
   * @throws IllegalArgumentException if a champion feature is not a column, or a value is not finite
   */
  public static Filtered dropAnomalies(FlowModel champion, Dataset rows, double falseAlarmRate) {
    if (champion.context().isPresent()) {
      throw new IllegalArgumentException("model '" + champion.name() + "' v" + champion.version() + " is time-aware ("
          + champion.context().get().describe() + "): it flags a row given its key's history, so pass each row's raw"
          + " context (dropAnomalies with RawContexts)");
    }
    Dataset ordered = schemaOrder(rows, Optional.of(champion), "the rows to filter");
    Scorer scorer = new Scorer(champion, falseAlarmRate);
    int d = ordered.dim();
    int batch = 256;
    Scorer.Score[] scores = new Scorer.Score[batch];
    for (int i = 0; i < batch; i++) {
      scores[i] = new Scorer.Score();
    }
    double[] values = ordered.values();
    int[] keep = new int[ordered.rows()];
    int kept = 0;
    for (int start = 0; start < ordered.rows(); start += batch) {
      int m = Math.min(batch, ordered.rows() - start);
      double[] chunk = Arrays.copyOfRange(values, start * d, (start + m) * d);
      scorer.scoreBatch(chunk, m, scores);
      for (int i = 0; i < m; i++) {
        if (scores[i].rejected()) {
          throw new IllegalArgumentException(ordered.source() + ": row " + (start + i) + " cannot be scored ("
              + scores[i].rejection + " at column " + scores[i].rejectedAt + ")");
        }
        if (!scores[i].anomaly) {
          keep[kept++] = start + i;
        }
      }
    }
    return new Filtered(ordered.rows(Arrays.copyOf(keep, kept)), ordered.rows() - kept);
  }

  /**
   * As {@link #dropAnomalies(FlowModel, Dataset, double)}, each row scored given its raw context when the
   * champion is time-aware (the kept rows keep their contexts, in {@link Filtered#contexts()}); a champion
   * without context ignores the contexts.
   *
   * @param contexts one raw context per row, built under the champion's {@link ContextSpec}
   * @throws IllegalArgumentException also if the contexts do not fit the rows or the champion's context
   */
  public static Filtered dropAnomalies(FlowModel champion, Dataset rows, RawContexts contexts, double falseAlarmRate) {
    if (champion.context().isEmpty()) {
      return dropAnomalies(champion, rows, falseAlarmRate);
    }
    Dataset ordered = schemaOrder(rows, Optional.of(champion), "the rows to filter");
    if (!contexts.spec().equals(champion.context().get())) {
      throw new IllegalArgumentException("the rows' contexts were built for " + contexts.spec().describe()
          + " but model '" + champion.name() + "' v" + champion.version() + " conditions on "
          + champion.context().get().describe());
    }
    checkContexts(contexts, ordered.columns(), "the rows to filter");
    int[] keep = new int[ordered.rows()];
    int kept = 0;
    int batch = 1024;
    for (int start = 0; start < ordered.rows(); start += batch) {
      int[] chunk = java.util.stream.IntStream.range(start, Math.min(ordered.rows(), start + batch)).toArray();
      double[] nll = nll(champion, ordered.rows(chunk), Optional.of(contexts.select(chunk)));
      for (int i = 0; i < chunk.length; i++) {
        if (!(champion.calibration().tailProbability(nll[i]) < falseAlarmRate)) {
          keep[kept++] = chunk[i];
        }
      }
    }
    int[] keptRows = Arrays.copyOf(keep, kept);
    return new Filtered(ordered.rows(keptRows), ordered.rows() - kept, Optional.of(contexts.select(keptRows)));
  }

  /**
   * The model to re-publish for a rollback: {@code old}'s parameters, preprocessing and calibration under
   * version {@code newest + 1}, stamped now and with the current model-format version, with a
   * {@link Lineage.Trigger#ROLLBACK} lineage naming {@code old}'s version (the rest of its provenance,
   * e.g. the training configuration and data fingerprint, stays: they describe these parameters). Highest version wins in every job, so all of them converge on it.
   *
   * @param newest the newest version of the model (on the model topic or in its history), at least
   *     {@code old}'s
   */
  public static FlowModel rollback(FlowModel old, int newest) {
    if (newest < old.version()) {
      throw new IllegalArgumentException("the newest version " + newest + " is below the version " + old.version()
          + " being rolled back to");
    }
    String data = "parameters of v" + old.version() + old.provenance().lineage()
        .map(l -> " (trained on " + l.data() + ")").orElse(" (trained on " + old.provenance().trainingRows()
            + " rows)");
    long rows = old.provenance().lineage().map(Lineage::dataRows).orElse(old.provenance().trainingRows());
    Provenance o = old.provenance();
    // A new file, written now by this Flowguard: stamped with the current format version even when the
    // version rolled back to was written by an older one.
    Provenance p = new Provenance(o.spec(), o.trainingConfig(), o.seed(), o.dataSha256(), o.trainingRows(),
        o.metrics(), Instant.now().toString(), o.flowguardVersion(), ModelFormat.FORMAT_VERSION,
        Optional.of(Lineage.rollback(old.version(), newest, data, rows)));
    return new FlowModel(old.name(), newest + 1, old.preprocessor(), old.flow(), old.calibration(), p,
        old.recommendedFalseAlarmRate(), old.featureStatistics(), old.context());
  }

  /**
   * Why a request cannot train or compare a time-aware model (a sentence for the outcome), or null: rows
   * without contexts, or contexts of another definition than the model's. A caller's mistake in contexts that
   * are there (other features, a non-finite value) throws.
   */
  private static String missingContext(Request r, ContextSpec spec, Dataset candidates) {
    String who = r.champion().map(c -> "the champion v" + c.version() + " is time-aware (" + spec.describe() + ")")
        .orElse("the first model is time-aware (" + spec.describe() + ")");
    String remedy = ": a challenger can neither be trained nor compared without each row's history; pass every row's"
        + " raw context (its key's previous raw events, its event time and declared fields; Request.withContexts)";
    if (r.contexts().isEmpty()) {
      return who + " but the candidate rows come without their contexts" + remedy;
    }
    if (!r.contexts().get().spec().equals(spec)) {
      return who + " but the candidate rows' contexts were built for " + r.contexts().get().spec().describe()
          + remedy + " under the champion's definition";
    }
    checkContexts(r.contexts().get(), candidates.columns(), "the candidate rows");
    if (r.heldOut().isPresent()) {
      if (r.heldOutContexts().isEmpty()) {
        return who + " but the held-out rows come without their contexts" + remedy;
      }
      if (!r.heldOutContexts().get().spec().equals(spec)) {
        return who + " but the held-out rows' contexts were built for " + r.heldOutContexts().get().spec().describe()
            + remedy + " under the champion's definition";
      }
      checkContexts(r.heldOutContexts().get(), candidates.columns(), "the held-out rows");
    }
    return null;
  }

  /** Contexts must describe the rows' features, in schema order, with finite values. */
  private static void checkContexts(RawContexts c, List<String> schema, String what) {
    if (!c.features().equals(schema)) {
      throw new IllegalArgumentException("the contexts of " + what + " hold histories of " + c.features()
          + " but the rows are " + schema + " (in schema order)");
    }
    int bad = firstNonFinite(c.history());
    int badField = firstNonFinite(c.fields());
    if (bad >= 0 || badField >= 0) {
      throw new IllegalArgumentException("the contexts of " + what + " hold a non-finite "
          + (bad >= 0 ? "history value in row " + bad / (c.spec().window() * c.rawDim())
              : "context field in row " + badField / Math.max(1, c.spec().fields().size()))
          + ": retraining needs finite contexts");
    }
  }

  /** Each row's NLL under the model: given its raw context, through the model's own preprocessing, if time-aware. */
  private static double[] nll(FlowModel model, Dataset rows, Optional<RawContexts> contexts) {
    if (model.context().isEmpty()) {
      return model.nll(rows.values(), rows.rows());
    }
    Preprocessor pre = model.preprocessor();
    ContextEncoder encoder = new ContextEncoder(model.context().get(), pre.rawDim(), pre.dim(), pre::apply);
    double[] c = contexts.orElseThrow().encode(encoder, false, 0L);
    double[] lp = model.logDensity(rows.values(), c, rows.rows());
    for (int i = 0; i < lp.length; i++) {
      lp[i] = -lp[i];
    }
    return lp;
  }

  private static Outcome rejected(Reason reason, String message, Metrics m) {
    return new Outcome(Decision.REJECTED, reason, message, m, Optional.empty());
  }

  /** The table with the champion's features as its columns, in schema order (unchanged without a champion). */
  private static Dataset schemaOrder(Dataset table, Optional<FlowModel> champion, String what) {
    return columnsInOrder(table, champion.map(c -> c.preprocessor().featureNames()), what);
  }

  private static Dataset columnsInOrder(Dataset table, Optional<List<String>> names, String what) {
    Dataset t = table;
    if (names.isPresent() && !names.get().equals(table.columns())) {
      int[] idx = table.indicesOf(names.get(), "the champion");
      t = new Dataset(table.source(), names.get(), table.project(idx), table.rows());
    }
    int bad = firstNonFinite(t.values());
    if (bad >= 0) {
      throw new IllegalArgumentException(what + " (" + t.source() + ") hold a non-finite value at row "
          + bad / Math.max(1, t.dim()) + ", column '" + t.columns().get(bad % Math.max(1, t.dim()))
          + "': retraining needs finite features");
    }
    return t;
  }

  private static String calibrationProblem(Calibration c, double alarmRate, double rate, int n) {
    if (!Double.isFinite(c.entropy())) {
      return "entropy estimate " + c.entropy() + " is not finite";
    }
    if (!(c.tail().xi() < 1)) {
      return String.format(Locale.ROOT, "the fitted NLL tail has shape xi = %.3f >= 1 (no finite mean): the"
          + " validation NLLs are too heavy-tailed to calibrate", c.tail().xi());
    }
    double bound = alarmRateBound(rate, n, c.count());
    if (alarmRate > bound) {
      return String.format(Locale.ROOT, "it flags %.4f of the held-out normal rows at false-alarm rate %.3g"
          + " (at most %.4f expected for %d held-out and %d calibration rows)", alarmRate, rate, bound, n, c.count());
    }
    return null;
  }

  /**
   * The largest held-out false-alarm rate a sound calibration is allowed: twice the nominal rate plus
   * four standard deviations of the two binomial noises involved, the held-out count ({@code n} rows) and
   * the calibration's own estimate of the rate's threshold ({@code calibrationRows} rows).
   */
  static double alarmRateBound(double rate, int n, long calibrationRows) {
    return 2 * rate + 4 * Math.sqrt(rate * (1 - rate) * (1.0 / n + 1.0 / calibrationRows));
  }

  private static double alarmRate(Calibration c, double[] nll, double rate) {
    int alarms = 0;
    for (double v : nll) {
      if (c.tailProbability(v) < rate) {
        alarms++;
      }
    }
    return alarms / (double) nll.length;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  private static int firstNonFinite(double[] v) {
    for (int i = 0; i < v.length; i++) {
      if (!Double.isFinite(v[i])) {
        return i;
      }
    }
    return -1;
  }
}
