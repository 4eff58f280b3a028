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
 * <p><b>Cost.</b> Every candidate value of every feature is scored through the flow's batch kernel, all
 * the candidates of a round in one call ({@link #lastCost()} counts them). A screening round (two
 * evaluations per feature: a central-difference stencil around the actual value, which gives a Newton
 * estimate of each feature's repair and its gain, and a third at the training mean for a value more than
 * 2 sd from it) ranks the features; the {@code k + 2} most promising ({@link Settings#refined()}) are then
 * searched fully: a grid of 7 points over the training bulk (+-3 sd) and the Newton point, a second climb
 * where the grid shows a second mode, and a climb of brackets with a parabolic step that stops when the
 * parabola fits. A feature stops early when k others lead it by more than its search could still gain;
 * every reported feature is searched fully (one the screening ranked too low is searched afterwards). A
 * joint anomaly's pair search screens the 6 pairs of its top 4 features with a 2-D stencil each and
 * searches the 3 most promising along their ridge. After warm-up, {@code explain} allocates little
 * besides its result.
 */
public final class Explainer {

  /**
   * Tuning of the search.
   *
   * @param refined how many features (the most promising by the screening round) get the full search, at
   *     least (a reported feature outside them is searched fully too); 0: {@code k + 2} for an explanation
   *     of the top k (and at least {@link #PAIR_CANDIDATES})
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

  /** Features among which a joint anomaly's pair is searched (the first ones in the explanation's order). */
  public static final int PAIR_CANDIDATES = 4;
  /** Half-width of the central-difference stencil of the screening round, in standardized units. */
  static final double STENCIL = 0.1;
  /**
   * A value farther than this from the training mean (in sd) is also screened at the mean: in a flow's
   * tail the density can be nearly flat, so the stencil's Newton estimate misses a large gain.
   */
  static final double PROBE_BEYOND = 2.0;
  /** Largest Newton step from the actual value, in standardized units. */
  static final double MAX_NEWTON_STEP = 6.0;
  /**
   * The coarse grid of the full search, in standardized units (the training data's bulk, one sd apart):
   * it finds the mode to climb when the profile has several or the Newton point is poor; the climb does
   * the rest.
   */
  static final double[] GRID = {-3, -2, -1, 0, 1, 2, 3};
  /**
   * The first bracket's half-width after the grid, in standardized units: the best point after the grid
   * is usually the Newton point, close to the maximum; a grid point moves by this step.
   */
  static final double FIRST_STEP = 0.25;
  /**
   * The narrowest bracket, in standardized units: even at a kink of a ReLU conditioner (where no parabola
   * fits) the value found is within about 0.016 nats per nat/sd of slope of the maximum.
   */
  static final double FINEST_STEP = 1.0 / 64;
  /**
   * Rounds after the grid, at most: 4 halvings from {@link #FIRST_STEP} to {@link #FINEST_STEP} and room
   * for a task that moves towards a maximum off the grid (a move keeps the step).
   */
  static final int MAX_ROUNDS = 13;
  /**
   * A bracket's parabolic vertex whose value is within this many nats of the parabola's prediction ends
   * the search (the profile is quadratic to this accuracy around its maximum); a bracket whose ends are
   * within this many nats of its middle is flat and ends it too.
   */
  static final double FIT_NATS = 0.002;
  /**
   * A column stops its search when enough others lead what it can still reach (its best or the maximum of
   * the parabola through its last centred bracket) by more than this many nats: about three times the most
   * that the rest of a search raised a value beyond that on the explanation benchmark's models (0.30 nats
   * over 10 000 searches on five models, d = 10 to 50; 0.11 at the 99.9th percentile).
   */
  static final double EXIT_MARGIN_NATS = 1.0;
  /** Half-width of a pair's stencil (its slopes, curvatures and cross term), in standardized units. */
  static final double PAIR_STENCIL = 0.25;
  /** Largest rate at which a pair's first feature follows the second along its ridge (standardized units). */
  static final double MAX_RIDGE_SLOPE = 4.0;
  /**
   * Pairs searched fully, the most promising by their stencil's quadratic estimate: on the explanation
   * benchmark's joint anomalies, the best of all 6 pairs was among these 3 in 677 of 682.
   */
  static final int PAIRS_SEARCHED = 3;
  /** First bracket of the climb that polishes a pair's first feature after the ridge search. */
  static final double POLISH_STEP = 0.25;
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
  private int[] taskPartner = new int[0];
  private double[] taskSlope = new double[0];
  /** The bracket a task had when {@link #exitEarly} stopped it (0: not stopped). */
  private double[] stoppedStep = new double[0];
  private double[] predicted = new double[0];
  private double[] ceiling = new double[0];
  private int[] vertexAt = new int[0];
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
  /** Per flow column: its range class in the order (2 non-finite, 1 out of range, 0) and its best value. */
  private final int[] columnClass;
  private final double[] columnBest;
  private final Integer[] order;
  /** The columns chosen for the full search; the pair candidates; per pair its columns and search state. */
  private final int[] chosen;
  /** Columns in the explanation's order (see {@link #searchLeaders}); columns to search; which were searched. */
  private final int[] leaders;
  private final int[] pending;
  private final boolean[] searched;
  private static final int PAIRS = PAIR_CANDIDATES * (PAIR_CANDIDATES - 1) / 2;
  private final int[] pairFirst = new int[PAIRS];
  private final int[] pairSecond = new int[PAIRS];
  private final int[] pairTasks = new int[PAIRS];
  private final double[] pairBaseConst = new double[PAIRS];
  private final double[] pairSlope = new double[PAIRS];
  private final double[] pairNewton = new double[PAIRS];
  private final double[] pairEstimate = new double[PAIRS];

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
    this.columnClass = new int[dim];
    this.columnBest = new double[dim];
    this.order = new Integer[rawDim];
    this.chosen = new int[dim];
    this.leaders = new int[dim];
    this.pending = new int[dim];
    this.searched = new boolean[dim];
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
    ensureTasks(Math.max(dim, 3 * PAIRS), dim);
    System.arraycopy(y, 0, bases, 0, dim);
    for (int c = 0; c < dim; c++) {
      taskColumn[c] = c;
      taskBase[c] = 0;
      taskConst[c] = logJacobian - columnLogJacobian(c, y[c]);
      taskPartner[c] = -1;
      taskSlope[c] = 0.0;
      stoppedStep[c] = 0.0;
      searched[c] = false;
      bestU[c] = y[c];
      bestLogP[c] = baseLogP;
      startLogP[c] = baseLogP;
    }
    firstFreeTask = dim;
    for (int c = 0; c < dim; c++) {
      columnClass[c] = rank(rawOf[c]);
    }
    if (dim > 0) {
      screenRound(dim);
      int refine = Math.min(dim, settings.refined() > 0 ? settings.refined() : Math.max(k + 2, PAIR_CANDIDATES));
      mostPromising(refine);
      phase = 1;
      fullSearch(chosen, refine, k);
      for (int j = 0; j < refine; j++) {
        searched[chosen[j]] = true;
      }
      // Every reported feature is fully searched: one the screening ranked too low is searched now.
      searchLeaders(Math.min(k, dim));
    }
    // Joint anomaly: the event is an alert and the best single repair leaves it one.
    double bestSingle = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < dim; c++) {
      bestSingle = Math.max(bestSingle, nanToNegInf(bestLogP[c]));
    }
    boolean alert = !(baseLogP >= -nllThreshold);
    boolean joint = !anyNonFinite && alert && dim >= 2 && -bestSingle > nllThreshold;
    boolean searchPair = joint && settings.pairSearch();
    if (searchPair) {
      // The pair candidates too (the pair's two features lead the explanation).
      searchLeaders(Math.min(Math.max(k, PAIR_CANDIDATES), dim));
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

    Optional<PairContribution> pair = Optional.empty();
    if (searchPair) {
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
    for (int t = 0; t < tasks; t++) {
      if (Math.abs(bases[taskBase[t] + taskColumn[t]]) > PROBE_BEYOND) {
        addCandidate(t, 0.0);
      }
    }
    evaluateCandidates();
    for (int i = 2 * tasks; i < candidates; i++) {
      accept(candTask[i], candU[i], candLogP[i]);
    }
    for (int t = 0; t < tasks; t++) {
      int at = 2 * t;
      double u = bases[taskBase[t] + taskColumn[t]];
      double fm = candLogP[at];
      double fp = candLogP[at + 1];
      double f0 = startLogP[t];
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

  /**
   * The columns in the explanation's order of their screening (range class, then screening estimate;
   * ties: lower column), into {@link #chosen}; the first {@code n} are searched fully.
   */
  private void mostPromising(int n) {
    for (int c = 0; c < dim; c++) {
      int at = c;
      while (at > 0 && before(c, chosen[at - 1], screen)) {
        chosen[at] = chosen[at - 1];
        at--;
      }
      chosen[at] = c;
    }
  }

  /** Whether column a comes before column b: a higher range class, or the same and a larger value. */
  private boolean before(int a, int b, double[] value) {
    if (columnClass[a] != columnClass[b]) {
      return columnClass[a] > columnClass[b];
    }
    return nanToNegInf(value[a]) > nanToNegInf(value[b]);
  }

  /**
   * Makes sure the first {@code m} columns of the explanation's order (by their best values so far) were
   * searched fully: a column only screened is searched, one stopped early is finished; repeated while
   * that changes the first {@code m}.
   */
  private void searchLeaders(int m) {
    for (int pass = 0; pass < dim; pass++) {
      for (int c = 0; c < dim; c++) {
        columnBest[c] = bestLogP[c];
      }
      orderLeaders();
      int missing = 0;
      for (int j = 0; j < m; j++) {
        if (!searched[leaders[j]]) {
          pending[missing++] = leaders[j];
          searched[leaders[j]] = true;
        }
      }
      if (missing > 0) {
        firstFreeTask = dim;
        fullSearch(pending, missing, 0);
        continue;
      }
      int stopped = 0;
      for (int j = 0; j < m; j++) {
        if (stoppedStep[leaders[j]] > 0) {
          pending[stopped++] = leaders[j];
        }
      }
      if (stopped == 0) {
        return;
      }
      resume(pending, stopped);
    }
  }

  /** All columns in the explanation's order of {@link #columnBest}, into {@link #leaders}. */
  private void orderLeaders() {
    for (int c = 0; c < dim; c++) {
      int at = c;
      while (at > 0 && before(c, leaders[at - 1], columnBest)) {
        leaders[at] = leaders[at - 1];
        at--;
      }
      leaders[at] = c;
    }
  }

  /**
   * The full one-dimensional search of the given tasks: the coarse grid and the Newton point, a second
   * climb where the grid shows a second mode nearly as high, then {@link #climb}. With {@code need > 0}, a
   * task stops early when it cannot be among the top {@code need} columns (see {@link #exitEarly}). The
   * result is always an evaluated point (so a contribution is an exact difference of two log-densities)
   * and never worse than the start.
   */
  private void fullSearch(int[] tasks, int n, int need) {
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
        copyTask(t, twin);
        bestU[twin] = GRID[second];
        bestLogP[twin] = candLogP[at + second];
        twinOf[twin] = t;
        work[all++] = twin;
      }
    }
    for (int j = 0; j < n; j++) {
      work[j] = tasks[j];
    }
    for (int j = 0; j < all; j++) {
      sizes[work[j]] = FIRST_STEP;
    }
    climb(work, all, need);
    for (int j = n; j < all; j++) {
      int twin = work[j];
      int t = twinOf[twin];
      if (bestLogP[twin] > bestLogP[t]) {
        bestLogP[t] = bestLogP[twin];
        bestU[t] = bestU[twin];
      }
      stoppedStep[t] = Math.max(stoppedStep[t], stoppedStep[twin]);
    }
  }

  /**
   * Rounds that evaluate a bracket {@code b +- s} around each task's best point {@code b} (starting at
   * {@code sizes[t]}), then the vertex of the parabola through the three. A task stops when the vertex's
   * value agrees with the parabola's prediction to {@link #FIT_NATS} (the profile is quadratic there, so
   * the vertex is its maximum), when the bracket is flat to {@link #FIT_NATS}, or at the finest bracket; a
   * task whose best point is an end of its bracket moves there with the same step (so a maximum beyond the
   * grid is still reached). Each round is two kernel calls over all the tasks.
   */
  private void climb(int[] active, int count, int need) {
    for (int j = 0; j < count; j++) {
      ceiling[active[j]] = Double.POSITIVE_INFINITY;
      stoppedStep[active[j]] = 0.0;
    }
    for (int r = 0; r < MAX_ROUNDS; r++) {
      if (need > 0) {
        exitEarly(active, count, need);
      }
      candidates = 0;
      for (int j = 0; j < count; j++) {
        int t = active[j];
        if (sizes[t] > 0) {
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
      int tasksThisRound = candidates / 2;
      acceptAll();
      candidates = 0;
      for (int i = 0; i < tasksThisRound; i++) {
        int t = roundTasks[i];
        centred[i] = !(lo[t] > mid[t] || hi[t] > mid[t]);
        double denom = lo[t] - 2 * mid[t] + hi[t];
        predicted[i] = Double.NaN;
        if (centred[i] && denom < 0 && Double.isFinite(denom)) {
          // The parabola through (-s, lo), (0, mid), (s, hi): its vertex (inside the bracket) and value there.
          double sz = sizes[t];
          double a = denom / (2 * sz * sz);
          double b = (hi[t] - lo[t]) / (2 * sz);
          double v = Math.max(-sz, Math.min(sz, -b / (2 * a)));
          predicted[i] = mid[t] + b * v + a * v * v;
          vertexAt[i] = candidates;
          addCandidate(t, step[t] + v);
        }
      }
      if (candidates > 0) {
        evaluateCandidates();
        acceptAll();
      }
      for (int i = 0; i < tasksThisRound; i++) {
        int t = roundTasks[i];
        if (!centred[i]) {
          ceiling[t] = Double.POSITIVE_INFINITY;
          continue;   // moved to the better end: the same step again from there
        }
        // What the task can still reach, as far as this bracket tells: its best or the parabola's maximum.
        ceiling[t] = Math.max(nanToNegInf(bestLogP[t]), predicted[i] == predicted[i] ? predicted[i] : mid[t]);
        boolean flat = mid[t] - lo[t] < FIT_NATS && mid[t] - hi[t] < FIT_NATS;
        boolean fits = predicted[i] == predicted[i] && Math.abs(candLogP[vertexAt[i]] - predicted[i]) <= FIT_NATS;
        sizes[t] = flat || fits || sizes[t] / 2 < FINEST_STEP ? 0.0 : sizes[t] / 2;
      }
    }
  }

  /**
   * Stops the searches (sizes 0, the step kept in {@link #stoppedStep} to resume) of the tasks whose column
   * cannot be among the top {@code need} of the explanation: {@code need} other columns come before it in
   * the order, by their range class or by a best value above what this task can still reach (its {@link
   * #ceiling}) by more than {@link #EXIT_MARGIN_NATS}.
   */
  private void exitEarly(int[] active, int count, int need) {
    for (int c = 0; c < dim; c++) {
      columnBest[c] = nanToNegInf(bestLogP[c]);
    }
    for (int j = 0; j < count; j++) {
      int t = active[j];
      columnBest[taskColumn[t]] = Math.max(columnBest[taskColumn[t]], nanToNegInf(bestLogP[t]));
    }
    for (int j = 0; j < count; j++) {
      int t = active[j];
      if (sizes[t] == 0) {
        continue;
      }
      int c = taskColumn[t];
      int cls = columnClass[c];
      double bar = ceiling[t] + EXIT_MARGIN_NATS;
      int ahead = 0;
      for (int o = 0; o < dim && ahead < need; o++) {
        if (o != c && (columnClass[o] > cls || (columnClass[o] == cls && columnBest[o] > bar))) {
          ahead++;
        }
      }
      if (ahead >= need) {
        stoppedStep[t] = sizes[t];
        sizes[t] = 0.0;
      }
    }
  }

  /** Finishes the searches that {@link #exitEarly} stopped of the given columns (their own tasks). */
  private void resume(int[] columns, int n) {
    for (int j = 0; j < n; j++) {
      int t = columns[j];
      sizes[t] = stoppedStep[t];
      work[j] = t;
    }
    climb(work, n, 0);
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

  /** A task's state (column, base row, constant, partner) copied to another task. */
  private void copyTask(int from, int to) {
    taskColumn[to] = taskColumn[from];
    taskBase[to] = taskBase[from];
    taskConst[to] = taskConst[from];
    taskPartner[to] = taskPartner[from];
    taskSlope[to] = taskSlope[from];
  }

  /**
   * The value of task t's partner column when its own column is at u: the partner moves along the line
   * through the base row with slope {@code taskSlope} (a pair's ridge); NaN for a task without a partner.
   */
  private double partnerValue(int t, double u) {
    int p = taskPartner[t];
    if (p < 0) {
      return Double.NaN;
    }
    int base = taskBase[t];
    return bases[base + p] + taskSlope[t] * (u - bases[base + taskColumn[t]]);
  }

  /**
   * Scores every candidate row in one batch: its base row with the task's column set to the candidate (and
   * its partner column, if any, moved along with it).
   */
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
      if (taskPartner[t] >= 0) {
        rows[i * dim + taskPartner[t]] = partnerValue(t, candU[i]);
      }
    }
    logProb(rows, n);
    for (int i = 0; i < n; i++) {
      int t = candTask[i];
      double logP = lp[i] + columnLogJacobian(taskColumn[t], candU[i]) + taskConst[t];
      if (taskPartner[t] >= 0) {
        logP += columnLogJacobian(taskPartner[t], partnerValue(t, candU[i]));
      }
      candLogP[i] = logP;
    }
  }

  /** log p(raw) of the base row y: the flow's log-density plus the preprocessor's log-Jacobian. */
  private double evaluateBase(double logJacobian) {
    if (dim == 0) {
      return logJacobian;
    }
    System.arraycopy(y, 0, ensureRows(1), 0, dim);
    logProb(rows, 1);
    return lp[0] + logJacobian;
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
   * The joint repair of the pairs of the first {@link #PAIR_CANDIDATES} columns in the explanation's
   * order ({@link #leaders}), i before j, from {@code P = x[i := v_i*]} (on i's ridge: i's best value given
   * j):
   * <ol>
   *   <li>a stencil of 5 rows around P gives the slope and curvature in both columns and their cross
   *   term; i's best value moves with j at the rate {@code kappa = -H_ij / H_ii} (0 when i is not concave
   *   there); the quadratic model gives the Newton point along that line and the pair's estimated
   *   best;</li>
   *   <li>for the {@link #PAIRS_SEARCHED} best estimates, a full search of j along the line, i following
   *   it ({@code i = v_i* + kappa (w - x_j)});</li>
   *   <li>i climbed again with j where the line search left it.</li>
   * </ol>
   * A correlated pair shifted together (where repairing either one alone leaves it consistent with the
   * other, so coordinate ascent stalls) is repaired in one search; for independent features
   * {@code kappa = 0} and this is the coordinate search. The best pair by its evaluated log-density wins.
   */
  private Optional<PairContribution> pairSearch(double baseLogP, double logJacobian) {
    int m = Math.min(PAIR_CANDIDATES, dim);
    int pairs = 0;
    for (int a = 0; a < m; a++) {
      for (int b = a + 1; b < m; b++) {
        int i = leaders[a];
        int j = leaders[b];
        int base = pairs * dim;
        System.arraycopy(y, 0, bases, base, dim);
        bases[base + i] = repairU[i];
        pairFirst[pairs] = i;
        pairSecond[pairs] = j;
        pairBaseConst[pairs] = logJacobian - columnLogJacobian(i, y[i]) + columnLogJacobian(i, repairU[i]);
        pairs++;
      }
    }
    if (pairs == 0) {
      return Optional.empty();
    }
    // 1. The stencil: three tasks per pair (i alone, j alone, j with i moved by the same amount).
    double h = PAIR_STENCIL;
    candidates = 0;
    for (int p = 0; p < pairs; p++) {
      int i = pairFirst[p];
      int j = pairSecond[p];
      int ti = 3 * p;
      setPairTask(ti, p, i, -1, 0.0);
      setPairTask(ti + 1, p, j, -1, 0.0);
      setPairTask(ti + 2, p, j, i, 1.0);
      addCandidate(ti, repairU[i] - h);
      addCandidate(ti, repairU[i] + h);
      addCandidate(ti + 1, y[j] - h);
      addCandidate(ti + 1, y[j] + h);
      addCandidate(ti + 2, y[j] + h);
    }
    evaluateCandidates();
    for (int p = 0; p < pairs; p++) {
      int at = 5 * p;
      double f0 = repairLogP[pairFirst[p]];
      double fim = candLogP[at];
      double fip = candLogP[at + 1];
      double fjm = candLogP[at + 2];
      double fjp = candLogP[at + 3];
      double fx = candLogP[at + 4];
      double kappa = 0.0;
      double newton = Double.NaN;
      double estimate = Double.NEGATIVE_INFINITY;
      if (Double.isFinite(f0) && Double.isFinite(fim) && Double.isFinite(fip) && Double.isFinite(fjm)
          && Double.isFinite(fjp) && Double.isFinite(fx)) {
        double gi = (fip - fim) / (2 * h);
        double gj = (fjp - fjm) / (2 * h);
        double hii = (fip - 2 * f0 + fim) / (h * h);
        double hjj = (fjp - 2 * f0 + fjm) / (h * h);
        double hij = (fx - fip - fjp + f0) / (h * h);
        kappa = hii < 0 ? Math.max(-MAX_RIDGE_SLOPE, Math.min(MAX_RIDGE_SLOPE, -hij / hii)) : 0.0;
        double slope = gj + kappa * gi;
        double curvature = hjj + 2 * kappa * hij + kappa * kappa * hii;
        double s = curvature < 0 ? -slope / curvature : Math.signum(slope) * MAX_NEWTON_STEP;
        s = Math.max(-MAX_NEWTON_STEP, Math.min(MAX_NEWTON_STEP, s));
        newton = y[pairSecond[p]] + s;
        estimate = f0 + slope * s + 0.5 * Math.min(curvature, 0) * s * s;
      }
      pairSlope[p] = kappa;
      pairNewton[p] = newton;
      pairEstimate[p] = Math.max(estimate, Math.max(Math.max(fim, fip), Math.max(Math.max(fjm, fjp), fx)));
    }
    // 2. j along i's ridge, a full search for each of the most promising pairs by that estimate.
    int searched = Math.min(PAIRS_SEARCHED, pairs);
    for (int q = 0; q < searched; q++) {
      int best = -1;
      for (int p = 0; p < pairs; p++) {
        boolean taken = false;
        for (int r = 0; r < q; r++) {
          taken |= pairTasks[r] == p;
        }
        if (!taken && (best < 0 || nanToNegInf(pairEstimate[p]) > nanToNegInf(pairEstimate[best]))) {
          best = p;
        }
      }
      pairTasks[q] = best;
    }
    for (int q = 0; q < searched; q++) {
      int p = pairTasks[q];
      setPairTask(p, p, pairSecond[p], pairFirst[p], pairSlope[p]);
      bestU[p] = y[pairSecond[p]];
      bestLogP[p] = repairLogP[pairFirst[p]];
      step[p] = pairNewton[p];
    }
    firstFreeTask = pairs;
    fullSearch(pairTasks, searched, 0);
    // 3. i climbed again with j where the ridge search left it (a base row of its own per pair).
    for (int q = 0; q < searched; q++) {
      int p = pairTasks[q];
      int i = pairFirst[p];
      int j = pairSecond[p];
      double w = bestU[p];
      double v = partnerValue(p, w);
      double found = bestLogP[p];
      int base = (pairs + p) * dim;
      System.arraycopy(y, 0, bases, base, dim);
      bases[base + j] = w;
      bases[base + i] = v;
      int t = pairs + p;
      taskColumn[t] = i;
      taskBase[t] = base;
      taskPartner[t] = -1;
      taskSlope[t] = 0.0;
      taskConst[t] = logJacobian - columnLogJacobian(i, y[i]) - columnLogJacobian(j, y[j]) + columnLogJacobian(j, w);
      bestU[t] = v;
      bestLogP[t] = found;
      sizes[t] = POLISH_STEP;
      work[q] = t;
    }
    climb(work, searched, 0);
    int best = pairTasks[0];
    for (int q = 1; q < searched; q++) {
      int p = pairTasks[q];
      if (nanToNegInf(bestLogP[pairs + p]) > nanToNegInf(bestLogP[pairs + best])) {
        best = p;
      }
    }
    int t = pairs + best;
    int i = pairFirst[best];
    int j = pairSecond[best];
    return Optional.of(new PairContribution(names.get(rawOf[i]), names.get(rawOf[j]), toRaw(i, bestU[t]),
        toRaw(j, bases[taskBase[t] + j]), bestLogP[t] - baseLogP));
  }

  /** Task t as a search of {@code column} from pair p's base row, with an optional partner moving along. */
  private void setPairTask(int t, int p, int column, int partner, double slope) {
    int base = p * dim;
    taskColumn[t] = column;
    taskBase[t] = base;
    taskPartner[t] = partner;
    taskSlope[t] = slope;
    double c = pairBaseConst[p] - columnLogJacobian(column, bases[base + column]);
    if (partner >= 0) {
      c -= columnLogJacobian(partner, bases[base + partner]);
    }
    taskConst[t] = c;
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
      predicted = new double[tasks];
      taskPartner = new int[tasks];
      taskSlope = new double[tasks];
      stoppedStep = new double[tasks];
      ceiling = new double[tasks];
      vertexAt = new int[tasks];
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
