package io.flowguard.core.explain;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.model.FeatureStatistics;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.nn.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Explains scored events feature by feature: for each feature, the <b>repair value</b> (the value that,
 * all other features kept, maximizes the model's density of the event) and the <b>contribution</b>
 * {@code log p(x repaired) - log p(x)} in nats; the top k, out-of-range features first; whether the event
 * is a joint anomaly that no single feature explains and, then, the pair that does. The mathematics and
 * what each number means are in {@code docs/explanations.md}.
 *
 * <p>Build one per model and thread (it owns its scratch buffers and is not thread-safe), then call
 * {@link #explain(double[], int)} for the events you want explained, typically the flagged ones:
 *
 * <pre>{@code
 * Explainer explainer = new Explainer(model, 1e-3);           // once per model, per thread
 * Explanation e = explainer.explain(rawFeatures, 3);           // raw values in model order
 * e.features().get(0).feature();                               // "pressure"
 * }</pre>
 *
 * <p><b>Cost.</b> Every candidate value of every feature is scored through the flow's batch kernel, many
 * rows per call. A screening round (two evaluations per feature: a central-difference stencil around the
 * actual value, which gives a Newton estimate of each feature's repair and its gain) ranks the features;
 * only the {@code k + 2} most promising ({@link Settings#refined()}) are then searched fully: a grid of
 * 15 points over the training bulk (+-3.5 sd) and the Newton point, a second climb where the grid shows a
 * second mode, and a pattern search (bracket halving with a parabolic step) that stops when the bracket
 * is flat. The screening estimate is a heuristic, not a bound: a feature it ranks low keeps the best value
 * the screening saw (still an exact, evaluated contribution, possibly an underestimate). After warm-up,
 * {@code explain} allocates little besides its result.
 */
public final class Explainer {

  /**
   * Tuning of the search.
   *
   * @param refined how many features (the most promising by the screening round) get the full search;
   *     0: {@code k + 2} for an explanation of the top k (and at least {@link #PAIR_CANDIDATES})
   * @param pairSearch whether a joint anomaly gets a pair search among its top {@link #PAIR_CANDIDATES} features
   */
  public record Settings(int refined, boolean pairSearch) {
    public Settings {
      if (refined < 0) {
        throw new IllegalArgumentException("the number of refined features must be 0 (automatic) or more, got "
            + refined);
      }
    }

    /** {@code k + 2} features refined, pair search on. */
    public static Settings defaults() {
      return new Settings(0, true);
    }
  }

  /**
   * What one explanation cost, in rows scored through the flow's batch kernel (whose time is about linear
   * in rows) and in kernel calls, by phase: a machine-independent measure of the work.
   *
   * @param screenRows the event itself and the screening round
   * @param searchRows the full searches of the single features
   * @param pairRows the pair search (0 unless the event was a joint anomaly)
   * @param kernelCalls batch kernel calls, all phases
   */
  public record Cost(int screenRows, int searchRows, int pairRows, int kernelCalls) {
    public int rows() {
      return screenRows + searchRows + pairRows;
    }
  }

  /** Features among which a joint anomaly's pair is searched (the top ones by single contribution). */
  public static final int PAIR_CANDIDATES = 4;
  /** Half-width of the central-difference stencil of the screening round, in standardized units. */
  static final double STENCIL = 0.1;
  /** Largest Newton step from the actual value, in standardized units. */
  static final double MAX_NEWTON_STEP = 6.0;
  /** The coarse grid of the full search, in standardized units (the training data's bulk). */
  static final double[] GRID = {-3.5, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5};
  /**
   * Bracket-halving rounds after the grid, starting at half the grid spacing: the last bracket is 1/64 of
   * a standardized unit, so even at a kink of a ReLU conditioner (where the parabolic step does not help)
   * the value found is within about 0.016 nats per nat/sd of slope of the maximum.
   */
  static final int ROUNDS = 5;
  /** Rounds allowed beyond {@link #ROUNDS} for tasks still moving towards a maximum off the grid. */
  static final int EXTRA_ROUNDS = 8;
  /**
   * A centred bracket whose ends are within this many nats of its middle is done: its parabolic step is
   * taken and the search stops, since the maximum inside gains at most about this much.
   */
  static final double CONVERGED_NATS = 0.005;
  /** A second grid maximum within this many nats of the best gets its own climb. */
  static final double TWIN_MARGIN = 1.0;

  private final FlowModel model;
  private final Flow flow;
  private final Settings settings;
  private final double nllThreshold;
  private final Preprocessor preprocessor;
  private final List<String> names;
  private final Optional<FeatureStatistics> stats;
  private final int rawDim;
  private final int dim;
  /** Raw column of each kept (flow) column, and the reverse (-1 for a dropped column). */
  private final int[] rawOf;
  private final int[] keptOf;
  private final double[] mean;
  private final double[] std;
  private final double[] tailCenter;
  private final double[] tailScale;

  private final Workspace ws = new Workspace();
  private final double[] y;
  private final double[] raw;
  // Search state, one entry per task (a column searched from a base row).
  private int[] taskColumn = new int[0];
  private int[] taskBase = new int[0];
  private double[] taskConst = new double[0];
  private double[] bestU = new double[0];
  private double[] bestLogP = new double[0];
  private double[] step = new double[0];
  private double[] startLogP = new double[0];
  private double[] lo = new double[0];
  private double[] mid = new double[0];
  private double[] hi = new double[0];
  private int[] twinOf = new int[0];
  private int[] work = new int[0];
  private int[] roundTasks = new int[0];
  private double[] sizes = new double[0];
  private boolean[] centred = new boolean[0];
  /** Tasks from here on are free for twins. */
  private int firstFreeTask;
  private double[] bases = new double[0];
  // One batch of candidates.
  private int candidates;
  private int[] candTask = new int[0];
  private double[] candU = new double[0];
  private double[] candLogP = new double[0];
  private double[] rows = new double[0];
  private double[] lp = new double[0];
  /** A time-aware model's context of the event being explained (null for a model without context). */
  private double[] context;
  /** {@link #context} repeated once per evaluated row. */
  private double[] contextRows = new double[0];
  // Per flow column results of the single-feature searches.
  // Rows scored per phase (0 screen, 1 full search, 2 pairs) and kernel calls of the last explanation.
  private final int[] rowsByPhase = new int[3];
  private int phase;
  private int kernelCalls;
  private final double[] repairU;
  private final double[] repairLogP;
  private final double[] screen;
  private final Integer[] order;

  /** An explainer with {@link Settings#defaults()}; {@code falseAlarmRate} sets the alert threshold for joint anomalies. */
  public Explainer(FlowModel model, double falseAlarmRate) {
    this(model, falseAlarmRate, Settings.defaults());
  }

  /**
   * @param falseAlarmRate the rate whose NLL threshold defines "above the alert threshold" for
   *     {@link Explanation#jointAnomaly()} (the scorer's rate, e.g. 1e-3)
   */
  public Explainer(FlowModel model, double falseAlarmRate, Settings settings) {
    if (!(falseAlarmRate > 0 && falseAlarmRate < 1)) {
      throw new IllegalArgumentException("the false-alarm rate must be in (0, 1), got " + falseAlarmRate);
    }
    this.model = model;
    this.flow = model.flow();
    this.settings = settings;
    this.nllThreshold = model.calibration().nllThreshold(falseAlarmRate);
    this.preprocessor = model.preprocessor();
    this.names = preprocessor.featureNames();
    this.stats = model.featureStatistics();
    this.rawDim = preprocessor.rawDim();
    this.dim = preprocessor.dim();
    this.rawOf = new int[dim];
    this.keptOf = new int[rawDim];
    this.mean = new double[dim];
    this.std = new double[dim];
    this.tailCenter = new double[dim];
    this.tailScale = new double[dim];
    int k = 0;
    for (int i = 0; i < rawDim; i++) {
      Preprocessor.Feature f = preprocessor.features().get(i);
      keptOf[i] = f.kept() ? k : -1;
      if (f.kept()) {
        rawOf[k] = i;
        mean[k] = f.mean();
        std[k] = f.std();
        tailCenter[k] = f.tailCenter();
        tailScale[k] = f.tailScale();
        k++;
      }
    }
    this.y = new double[dim];
    this.raw = new double[rawDim];
    this.repairU = new double[dim];
    this.repairLogP = new double[dim];
    this.screen = new double[dim];
    this.order = new Integer[rawDim];
  }

  public FlowModel model() {
    return model;
  }

  /** The NLL above which an event counts as an alert for {@link Explanation#jointAnomaly()}. */
  public double nllThreshold() {
    return nllThreshold;
  }

  /** The cost of the last call of {@code explain} or {@code explainInContext}. */
  public Cost lastCost() {
    return new Cost(rowsByPhase[0], rowsByPhase[1], rowsByPhase[2], kernelCalls);
  }

  /** Explains an event given as raw feature values in the model's order ({@code model().preprocessor().featureNames()}). */
  public Explanation explain(double[] rawFeatures, int k) {
    return explain(rawFeatures, 0, rawFeatures.length, k);
  }

  /**
   * Explains the {@code length} raw values at {@code rawFeatures[offset..]} and returns the top {@code k}
   * features (out-of-range ones first). Never throws for bad values: a wrong length or an event the model
   * cannot evaluate anywhere gives an {@linkplain Explanation#absent absent} explanation with its reason.
   */
  public Explanation explain(double[] rawFeatures, int offset, int length, int k) {
    if (flow.contextDim() > 0) {
      return Explanation.absent("model '" + model.name() + "' is time-aware: explain an event with its context"
          + " (explainInContext)", Double.NaN, stats.isPresent());
    }
    return explainWith(rawFeatures, offset, length, k, null);
  }

  /**
   * Explains an event of a time-aware model given its context (as {@link
   * io.flowguard.core.score.Scorer#lastContext()} left it): each feature's repair value and contribution are
   * those of {@code log p(x | context)} with the key's history held as it was, i.e. what value would have
   * been typical <em>after what this key just did</em>.
   */
  public Explanation explainInContext(double[] rawFeatures, int offset, int length, int k, double[] eventContext) {
    if (eventContext == null || eventContext.length < flow.contextDim()) {
      return Explanation.absent("the context has " + (eventContext == null ? 0 : eventContext.length)
          + " values but the model reads " + flow.contextDim(), Double.NaN, stats.isPresent());
    }
    return explainWith(rawFeatures, offset, length, k, eventContext);
  }

  private Explanation explainWith(double[] rawFeatures, int offset, int length, int k, double[] eventContext) {
    this.context = eventContext;
    Arrays.fill(rowsByPhase, 0);
    kernelCalls = 0;
    phase = 0;
    boolean known = stats.isPresent();
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    if (length != rawDim) {
      return Explanation.absent("the event has " + length + " values but the model expects " + rawDim,
          Double.NaN, known);
    }
    System.arraycopy(rawFeatures, offset, raw, 0, rawDim);
    // Non-finite values: explained first (contribution +Infinity); the rest of the event is explained with
    // them at the training centre, the only place a search can start from.
    boolean anyNonFinite = false;
    for (int i = 0; i < rawDim; i++) {
      if (!Double.isFinite(raw[i])) {
        anyNonFinite = true;
      }
    }
    double logJacobian = 0;
    if (!anyNonFinite) {
      logJacobian = preprocessor.apply(raw, 0, y, 0);
    } else {
      double[] substituted = raw.clone();
      for (int i = 0; i < rawDim; i++) {
        if (!Double.isFinite(substituted[i])) {
          int c = keptOf[i];
          substituted[i] = c >= 0 ? toRaw(c, 0.0) : preprocessor.features().get(i).mean();
        }
      }
      logJacobian = preprocessor.apply(substituted, 0, y, 0);
    }
    double baseLogP = evaluateBase(logJacobian);
    double eventNll = anyNonFinite ? Double.NaN : (baseLogP == baseLogP ? -baseLogP : Double.POSITIVE_INFINITY);

    // Single-feature searches: screen every column, then search the most promising fully.
    ensureTasks(Math.max(dim, PAIR_CANDIDATES * PAIR_CANDIDATES), dim);
    System.arraycopy(y, 0, bases, 0, dim);
    for (int c = 0; c < dim; c++) {
      taskColumn[c] = c;
      taskBase[c] = 0;
      taskConst[c] = logJacobian - columnLogJacobian(c, y[c]);
      bestU[c] = y[c];
      bestLogP[c] = baseLogP;
      startLogP[c] = baseLogP;
    }
    firstFreeTask = dim;
    if (dim > 0) {
      screenRound(dim);
      int refine = Math.min(dim, settings.refined() > 0 ? settings.refined() : Math.max(k + 2, PAIR_CANDIDATES));
      int[] chosen = mostPromising(refine);
      phase = 1;
      fullSearch(chosen, refine);
    }
    for (int c = 0; c < dim; c++) {
      repairU[c] = bestU[c];
      repairLogP[c] = bestLogP[c];
    }
    boolean anyFinite = false;
    for (int c = 0; c < dim; c++) {
      anyFinite |= Double.isFinite(repairLogP[c]);
    }
    if (!anyFinite && !Double.isFinite(baseLogP) && !anyNonFinite && dim > 0) {
      return Explanation.absent("the model's density is not finite at this event or at any repaired value",
          eventNll, known);
    }

    // Rank: non-finite values, then other out-of-range values, then by the repaired log-density (the same
    // order as the contribution when the event's own density is finite).
    for (int i = 0; i < rawDim; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> {
      int ra = rank(a);
      int rb = rank(b);
      if (ra != rb) {
        return Integer.compare(rb, ra);
      }
      return Double.compare(repairedLogP(b, baseLogP), repairedLogP(a, baseLogP));
    });
    List<FeatureContribution> top = new ArrayList<>(Math.min(k, rawDim));
    for (int j = 0; j < Math.min(k, rawDim); j++) {
      top.add(contribution(order[j], baseLogP));
    }

    // Joint anomaly: the event is an alert and the best single repair leaves it one.
    double bestSingle = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < dim; c++) {
      bestSingle = Math.max(bestSingle, nanToNegInf(repairLogP[c]));
    }
    boolean alert = !(baseLogP >= -nllThreshold);
    boolean joint = !anyNonFinite && alert && dim >= 2 && -bestSingle > nllThreshold;
    Optional<PairContribution> pair = Optional.empty();
    if (joint && settings.pairSearch()) {
      phase = 2;
      pair = pairSearch(baseLogP, logJacobian);
      if (pair.isPresent()) {
        // A joint anomaly's pair explains it better than any single feature: its two features lead.
        List<String> lead = List.of(pair.get().first(), pair.get().second());
        List<FeatureContribution> reordered = new ArrayList<>(k);
        for (String name : lead) {
          reordered.add(contribution(names.indexOf(name), baseLogP));
        }
        for (int j = 0; j < rawDim && reordered.size() < Math.min(k, rawDim); j++) {
          if (!lead.contains(names.get(order[j]))) {
            reordered.add(contribution(order[j], baseLogP));
          }
        }
        top = reordered.subList(0, Math.min(k, reordered.size()));
      }
    }
    return new Explanation(top, eventNll, joint, pair, known, Optional.empty());
  }

  // ------------------------------------------------------------------------------------------- search

  /** Screening: the stencil y_c +- h of every column, in one batch, and a Newton estimate from it. */
  private void screenRound(int tasks) {
    candidates = 0;
    for (int t = 0; t < tasks; t++) {
      double u = bases[taskBase[t] + taskColumn[t]];
      addCandidate(t, u - STENCIL);
      addCandidate(t, u + STENCIL);
    }
    evaluateCandidates();
    for (int t = 0; t < tasks; t++) {
      int at = 2 * t;
      double u = bases[taskBase[t] + taskColumn[t]];
      double fm = candLogP[at];
      double fp = candLogP[at + 1];
      double f0 = baseLogPOf(t);
      double gain = Double.NEGATIVE_INFINITY;
      if (Double.isFinite(fm) && Double.isFinite(fp) && Double.isFinite(f0)) {
        double g = (fp - fm) / (2 * STENCIL);
        double h = (fp - 2 * f0 + fm) / (STENCIL * STENCIL);
        double s = h < 0 ? -g / h : Math.signum(g) * MAX_NEWTON_STEP;
        s = Math.max(-MAX_NEWTON_STEP, Math.min(MAX_NEWTON_STEP, s));
        step[t] = u + s;
        gain = g * s + 0.5 * Math.min(h, 0) * s * s;
      } else {
        step[t] = Double.NaN;
      }
      for (int j = 0; j < 2; j++) {
        accept(t, candU[at + j], candLogP[at + j]);
      }
      double observed = nanToNegInf(bestLogP[t]) - nanToNegInf(f0);
      screen[taskColumn[t]] = Double.isFinite(f0) ? Math.max(observed, gain) : nanToNegInf(bestLogP[t]);
    }
  }

  private double baseLogPOf(int t) {
    return startLogP[t];
  }

  /** Indices of the {@code n} columns with the largest screening estimate. */
  private int[] mostPromising(int n) {
    Integer[] idx = new Integer[dim];
    for (int c = 0; c < dim; c++) {
      idx[c] = c;
    }
    if (n < dim) {
      Arrays.sort(idx, (a, b) -> Double.compare(screen[b], screen[a]));
    }
    int[] out = new int[n];
    for (int j = 0; j < n; j++) {
      out[j] = idx[j];
    }
    return out;
  }

  /**
   * The full one-dimensional search of the given tasks: the coarse grid and the Newton point, then
   * {@link #ROUNDS} rounds that halve a bracket around the best point, each with a parabolic step through
   * the bracket's three points. The result is always an evaluated point (so a contribution is an exact
   * difference of two log-densities) and never worse than the starting value.
   */
  private void fullSearch(int[] tasks, int n) {
    candidates = 0;
    for (int j = 0; j < n; j++) {
      int t = tasks[j];
      for (double g : GRID) {
        addCandidate(t, g);
      }
    }
    for (int j = 0; j < n; j++) {
      int t = tasks[j];
      if (Double.isFinite(step[t])) {
        addCandidate(t, step[t]);
      }
    }
    evaluateCandidates();
    acceptAll();
    // A second start where the grid shows another local maximum nearly as high (a bimodal conditional):
    // a twin task climbs it, and the better of the two wins.
    double spacing = GRID[1] - GRID[0];
    int all = n;
    int free = firstFreeTask;
    for (int j = 0; j < n; j++) {
      int t = tasks[j];
      int at = j * GRID.length;
      int second = -1;
      for (int g = 0; g < GRID.length; g++) {
        double f = candLogP[at + g];
        boolean localMax = (g == 0 || f >= candLogP[at + g - 1]) && (g == GRID.length - 1 || f >= candLogP[at + g + 1]);
        if (localMax && Math.abs(GRID[g] - bestU[t]) > 1.5 * spacing && f > bestLogP[t] - TWIN_MARGIN
            && (second < 0 || f > candLogP[at + second])) {
          second = g;
        }
      }
      if (second >= 0) {
        int twin = free++;
        taskColumn[twin] = taskColumn[t];
        taskBase[twin] = taskBase[t];
        taskConst[twin] = taskConst[t];
        bestU[twin] = GRID[second];
        bestLogP[twin] = candLogP[at + second];
        twinOf[twin] = t;
        work[all++] = twin;
      }
    }
    for (int j = 0; j < n; j++) {
      work[j] = tasks[j];
    }
    // Pattern search: a task whose best point is the middle of its bracket halves the bracket; one whose
    // best is an end moves there with the same step (so a maximum beyond the grid is still reached).
    double finest = spacing / 2 / (1 << (ROUNDS - 1));
    for (int j = 0; j < all; j++) {
      sizes[work[j]] = spacing / 2;
    }
    for (int r = 0; r < ROUNDS + EXTRA_ROUNDS; r++) {
      candidates = 0;
      for (int j = 0; j < all; j++) {
        int t = work[j];
        if (sizes[t] >= finest) {
          roundTasks[candidates / 2] = t;
          addCandidate(t, bestU[t] - sizes[t]);
          addCandidate(t, bestU[t] + sizes[t]);
        }
      }
      if (candidates == 0) {
        break;
      }
      evaluateCandidates();
      // The bracket (b - s, b, b + s) of each task, then its parabolic vertex as one more candidate.
      for (int i = 0; i < candidates; i += 2) {
        int t = candTask[i];
        mid[t] = bestLogP[t];
        lo[t] = candLogP[i];
        hi[t] = candLogP[i + 1];
        step[t] = bestU[t];
      }
      int bracketed = candidates;
      acceptAll();
      for (int i = 0; i < bracketed; i += 2) {
        int t = candTask[i];
        centred[i / 2] = !(lo[t] > mid[t] || hi[t] > mid[t]);
      }
      int tasksThisRound = bracketed / 2;
      candidates = 0;
      for (int i = 0; i < tasksThisRound; i++) {
        int t = roundTask(i);
        double denom = lo[t] - 2 * mid[t] + hi[t];
        if (centred[i] && denom < 0 && Double.isFinite(denom)) {
          double sz = sizes[t];
          double v = step[t] + sz * (lo[t] - hi[t]) / (2 * denom);
          addCandidate(t, Math.max(step[t] - sz, Math.min(step[t] + sz, v)));
        }
      }
      for (int i = 0; i < tasksThisRound; i++) {
        int t = roundTask(i);
        if (centred[i]) {
          // Flat within the bracket: nothing a finer bracket could gain is worth its evaluations.
          boolean flat = mid[t] - lo[t] < CONVERGED_NATS && mid[t] - hi[t] < CONVERGED_NATS;
          sizes[t] = flat ? 0.0 : sizes[t] / 2;
        }
      }
      if (candidates > 0) {
        evaluateCandidates();
        acceptAll();
      }
    }
    for (int j = n; j < all; j++) {
      int twin = work[j];
      int t = twinOf[twin];
      if (bestLogP[twin] > bestLogP[t]) {
        bestLogP[t] = bestLogP[twin];
        bestU[t] = bestU[twin];
      }
    }
  }

  /** The task of the i-th bracket of the current round (brackets were added in pairs, in task order). */
  private int roundTask(int i) {
    return roundTasks[i];
  }

  private void acceptAll() {
    for (int i = 0; i < candidates; i++) {
      accept(candTask[i], candU[i], candLogP[i]);
    }
  }

  private void accept(int t, double u, double logP) {
    if (logP > bestLogP[t] || (!(bestLogP[t] == bestLogP[t]) && logP == logP)) {
      bestLogP[t] = logP;
      bestU[t] = u;
    }
  }

  private void addCandidate(int t, double u) {
    if (candidates == candTask.length) {
      int cap = Math.max(64, 2 * candidates);
      candTask = Arrays.copyOf(candTask, cap);
      candU = Arrays.copyOf(candU, cap);
      candLogP = Arrays.copyOf(candLogP, cap);
    }
    candTask[candidates] = t;
    candU[candidates] = u;
    candidates++;
  }

  /** Scores every candidate row in one batch: its base row with the task's column set to the candidate. */
  private void evaluateCandidates() {
    int n = candidates;
    if (n == 0) {
      return;
    }
    if (rows.length < n * dim) {
      rows = new double[Math.max(n * dim, 2 * rows.length)];
      lp = new double[rows.length / Math.max(1, dim)];
    }
    for (int i = 0; i < n; i++) {
      int t = candTask[i];
      System.arraycopy(bases, taskBase[t], rows, i * dim, dim);
      rows[i * dim + taskColumn[t]] = candU[i];
    }
    logProb(rows, n);
    for (int i = 0; i < n; i++) {
      int t = candTask[i];
      int c = taskColumn[t];
      candLogP[i] = lp[i] + columnLogJacobian(c, candU[i]) + taskConst[t];
    }
  }

  /** log p(raw) of the base row y: the flow's log-density plus the preprocessor's log-Jacobian. */
  private double evaluateBase(double logJacobian) {
    if (dim == 0) {
      return logJacobian;
    }
    System.arraycopy(y, 0, ensureRows(1), 0, dim);
    logProb(rows, 1);
    double v = lp[0] + logJacobian;
    return v;
  }

  /** log p of n rows, given the event's context for a time-aware model. */
  private void logProb(double[] x, int n) {
    rowsByPhase[phase] += n;
    kernelCalls++;
    if (context == null) {
      flow.logProb(x, n, lp, ws);
      return;
    }
    int m = flow.contextDim();
    if (contextRows.length < n * m) {
      contextRows = new double[Math.max(n * m, 2 * contextRows.length)];
    }
    for (int i = 0; i < n; i++) {
      System.arraycopy(context, 0, contextRows, i * m, m);
    }
    flow.logProb(x, contextRows, n, lp, ws);
  }

  private double[] ensureRows(int n) {
    if (rows.length < n * dim) {
      rows = new double[n * dim];
      lp = new double[n];
    }
    return rows;
  }

  // --------------------------------------------------------------------------------------------- pairs

  /**
   * For each pair of the top {@link #PAIR_CANDIDATES} columns by single contribution, the first held at its
   * repair value and the second searched fully; the best pair.
   */
  private Optional<PairContribution> pairSearch(double baseLogP, double logJacobian) {
    int m = Math.min(PAIR_CANDIDATES, dim);
    Integer[] idx = new Integer[dim];
    for (int c = 0; c < dim; c++) {
      idx[c] = c;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(nanToNegInf(repairLogP[b]), nanToNegInf(repairLogP[a])));
    int tasks = 0;
    int[] first = new int[m * (m - 1) / 2];
    for (int a = 0; a < m; a++) {
      for (int b = a + 1; b < m; b++) {
        int i = idx[a];
        int j = idx[b];
        int base = tasks * dim;
        System.arraycopy(y, 0, bases, base, dim);
        bases[base + i] = repairU[i];
        first[tasks] = i;
        taskColumn[tasks] = j;
        taskBase[tasks] = base;
        double baseConst = logJacobian - columnLogJacobian(i, y[i]) + columnLogJacobian(i, repairU[i]);
        taskConst[tasks] = baseConst - columnLogJacobian(j, y[j]);
        bestU[tasks] = y[j];
        bestLogP[tasks] = repairLogP[i];
        step[tasks] = Double.NaN;
        tasks++;
      }
    }
    if (tasks == 0) {
      return Optional.empty();
    }
    firstFreeTask = tasks;
    int[] all = new int[tasks];
    for (int t = 0; t < tasks; t++) {
      all[t] = t;
    }
    fullSearch(all, tasks);
    int best = 0;
    for (int t = 1; t < tasks; t++) {
      if (nanToNegInf(bestLogP[t]) > nanToNegInf(bestLogP[best])) {
        best = t;
      }
    }
    int i = first[best];
    int j = taskColumn[best];
    return Optional.of(new PairContribution(names.get(rawOf[i]), names.get(rawOf[j]), toRaw(i, repairU[i]),
        toRaw(j, bestU[best]), bestLogP[best] - baseLogP));
  }

  // ------------------------------------------------------------------------------------------ results

  /** 2: non-finite value, 1: other out-of-range value, 0: in range (or unknown). */
  private int rank(int i) {
    double v = raw[i];
    if (!Double.isFinite(v)) {
      return 2;
    }
    return outOfRange(i, v) ? 1 : 0;
  }

  private boolean outOfRange(int i, double v) {
    if (!Double.isFinite(v)) {
      return true;
    }
    if (stats.isPresent()) {
      return stats.get().feature(i).outside(v);
    }
    return keptOf[i] < 0 && v != preprocessor.features().get(i).mean();
  }

  /** The repaired log-density of raw feature i (a dropped column does not change the density). */
  private double repairedLogP(int i, double baseLogP) {
    int c = keptOf[i];
    return nanToNegInf(c >= 0 ? repairLogP[c] : baseLogP);
  }

  private FeatureContribution contribution(int i, double baseLogP) {
    int c = keptOf[i];
    double v = raw[i];
    double typical = c >= 0 ? toRaw(c, repairU[c]) : preprocessor.features().get(i).mean();
    double gain;
    if (!Double.isFinite(v)) {
      gain = Double.POSITIVE_INFINITY;
    } else if (c < 0) {
      gain = 0.0;
    } else {
      double after = nanToNegInf(repairLogP[c]);
      double before = nanToNegInf(baseLogP);
      gain = before == Double.NEGATIVE_INFINITY ? (after > before ? Double.POSITIVE_INFINITY : 0.0)
          : Math.max(0.0, after - before);
    }
    double z = stats.map(s -> s.feature(i).zScore(v)).orElse(Double.NaN);
    return new FeatureContribution(names.get(i), v, typical, gain, z, outOfRange(i, v));
  }

  // ------------------------------------------------------------------------------------------- columns

  /** Flow column c's standardized value u back to raw units. */
  private double toRaw(int c, double u) {
    double v = u * std[c] + mean[c];
    return tailScale[c] > 0 ? tailCenter[c] + tailScale[c] * Math.sinh(v) : v;
  }

  /**
   * The part of the preprocessor's log-Jacobian that depends on column c's value, at standardized value
   * u: {@code -log(1 + t^2) / 2} with {@code t = sinh(u std + mean)} for an asinh column, else 0.
   */
  private double columnLogJacobian(int c, double u) {
    if (!(tailScale[c] > 0)) {
      return 0.0;
    }
    double t = Math.sinh(u * std[c] + mean[c]);
    return -0.5 * Math.log1p(t * t);
  }

  private void ensureTasks(int needed, int baseRows) {
    int tasks = 2 * needed;
    if (taskColumn.length < tasks) {
      twinOf = new int[tasks];
      work = new int[tasks];
      roundTasks = new int[tasks];
      sizes = new double[tasks];
      centred = new boolean[tasks];
      taskColumn = new int[tasks];
      taskBase = new int[tasks];
      taskConst = new double[tasks];
      bestU = new double[tasks];
      bestLogP = new double[tasks];
      step = new double[tasks];
      startLogP = new double[tasks];
      lo = new double[tasks];
      mid = new double[tasks];
      hi = new double[tasks];
    }
    int need = Math.max(baseRows, PAIR_CANDIDATES * PAIR_CANDIDATES) * dim;
    if (bases.length < need) {
      bases = new double[need];
    }
  }

  private static double nanToNegInf(double v) {
    return v == v ? v : Double.NEGATIVE_INFINITY;
  }
}
