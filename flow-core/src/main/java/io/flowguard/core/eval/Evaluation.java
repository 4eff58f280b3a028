package io.flowguard.core.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.eval.TabularProtocol.SeedResult;
import io.flowguard.core.eval.baseline.Baselines;
import io.flowguard.core.eval.nab.AnomalyScores;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.model.Provenance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Runs the product's flow and any classical baselines on one data set, seed by seed, under the tabular
 * or the streaming protocol, and turns the figures into the {@code methods} part of
 * {@code evaluation.json}. The flow is trained through exactly the entry points {@code flowguard train}
 * uses ({@code ModelTrainer} with the options {@code flowguard train} would resolve), so changes to the product's
 * defaults are what this measures.
 */
public final class Evaluation {

  /** The method name of the product's flow. */
  public static final String FLOW = "flow";

  /**
   * How to train the product's flow.
   *
   * @param options the {@link ModelTrainer} options for a seed's TRAIN rows (what {@code flowguard train}
   *     would resolve for them: the automatic configuration unless the user overrides it)
   */
  public record FlowSettings(SeedOptions options) {}

  /** The model-trainer options for one protocol seed's TRAIN rows. */
  @FunctionalInterface
  public interface SeedOptions {
    ModelTrainer.Options options(Dataset train, long seed);
  }

  /**
   * What to run.
   *
   * @param flow the flow's settings, empty to run baselines only
   * @param baselines baseline names ({@link Baselines#names()})
   * @param seeds the protocol seeds
   */
  public record Plan(Optional<FlowSettings> flow, List<String> baselines, List<Long> seeds,
                     Optional<TimeAwareDetector.Settings> timeAware) {

    /** Without the time-aware flow. */
    public Plan(Optional<FlowSettings> flow, List<String> baselines, List<Long> seeds) {
      this(flow, baselines, seeds, Optional.empty());
    }

    public Plan {
      java.util.Objects.requireNonNull(timeAware, "timeAware");
      if (timeAware.isPresent() && flow.isEmpty()) {
        throw new IllegalArgumentException("the time-aware flow trains with the flow's settings: drop --no-flow");
      }
      baselines = Baselines.parse(baselines);
      seeds = List.copyOf(seeds);
      if (flow.isEmpty() && baselines.isEmpty()) {
        throw new IllegalArgumentException("nothing to evaluate: the flow is off and no baseline is named;"
            + " drop --no-flow or add --baselines " + String.join(",", Baselines.names()));
      }
      if (seeds.isEmpty()) {
        throw new IllegalArgumentException("give at least one seed");
      }
    }

    /**
     * The method names in the order they run: the flow first, then on series the time-aware flow's two
     * scores ({@link TimeAwareDetector}), then the baselines.
     */
    public List<String> methods() {
      List<String> m = new ArrayList<>();
      flow.ifPresent(f -> m.add(FLOW));
      if (timeAware.isPresent()) {
        m.add(TimeAwareDetector.FLOW_CONTEXT);
        m.add(TimeAwareDetector.FLOW_CONTEXT_LIKELIHOOD);
      }
      m.addAll(baselines);
      return m;
    }

    /** Whether a method scores series only (the time-aware flow needs each point's past). */
    public static boolean seriesOnly(String method) {
      return method.equals(TimeAwareDetector.FLOW_CONTEXT) || method.equals(TimeAwareDetector.FLOW_CONTEXT_LIKELIHOOD);
    }
  }

  /**
   * One seed of one method.
   *
   * @param result the protocol's figures
   * @param fitted what the method fitted (the flow: its spec and training configuration)
   * @param anomalyScores per-point scores for the NAB score (series only, and only from a detector whose
   *     scores are comparable across series: the flow's calibrated tail probabilities); see
   *     {@link SeriesDetector}
   */
  public record SeedOutcome(SeedResult result, Map<String, Object> fitted, Optional<AnomalyScores> anomalyScores) {
    static SeedOutcome of(TabularProtocol.BaselineRun run) {
      return new SeedOutcome(run.result(), run.fitted(), Optional.empty());
    }
  }

  /**
   * One method's figures.
   *
   * @param seeds per seed, in the plan's order (empty if it failed)
   * @param mean the mean over seeds (empty if it failed)
   * @param fitted per seed, what the method fitted (empty maps for the flow)
   * @param error why it failed, if it did (only when running with {@code keepGoing})
   * @param anomalyScores per seed, the per-point scores for the NAB score; empty if the method has none
   */
  public record MethodResult(String method, List<SeedResult> seeds, Optional<SeedResult> mean,
                             List<Map<String, Object>> fitted, Optional<String> error,
                             List<AnomalyScores> anomalyScores) {
    public MethodResult {
      seeds = List.copyOf(seeds);
      fitted = List.copyOf(fitted);
      anomalyScores = List.copyOf(anomalyScores);
    }

    public boolean ok() {
      return error.isEmpty();
    }
  }

  /** Told around each seed of each method (for progress output). */
  @FunctionalInterface
  public interface Listener {
    Listener NONE = (method, result) -> { };

    /** Before a seed starts (training a flow can take a while). */
    default void seedStarted(String method, long seed) {}

    void seedDone(String method, SeedResult result);
  }

  /** One seed of one method. */
  @FunctionalInterface
  private interface SeedRun {
    SeedOutcome run(long seed);
  }

  private Evaluation() {}

  /** Every method of the plan on a labelled table under the tabular protocol. */
  public static List<MethodResult> tabular(Dataset features, int[] labels, Plan plan, boolean keepGoing, Listener listener) {
    List<MethodResult> out = new ArrayList<>();
    for (String method : plan.methods()) {
      if (Plan.seriesOnly(method)) {
        continue;
      }
      SeedRun run;
      if (method.equals(FLOW)) {
        FlowSettings flow = plan.flow().orElseThrow();
        run = seed -> flowSeed(flow, seed, options -> new SeedOutcome(
            TabularProtocol.run(features, labels, seed, options), Map.of(), Optional.empty()));
      } else {
        var fitter = Baselines.byName(method);
        run = seed -> SeedOutcome.of(TabularProtocol.runBaseline(features, labels, seed, fitter));
      }
      out.add(runSeeds(method, run, plan.seeds(), keepGoing, listener));
    }
    return out;
  }

  /** Every method of the plan on a series under the streaming protocol, each through its {@link SeriesDetector}. */
  public static List<MethodResult> streaming(StreamingProtocol.Series series, Plan plan, boolean keepGoing,
                                             Listener listener) {
    List<MethodResult> out = new ArrayList<>();
    Map<Long, TimeAwareDetector.Outcomes> timeAware = new java.util.HashMap<>();
    for (String method : plan.methods()) {
      SeriesDetector detector = Plan.seriesOnly(method)
          ? (s, seed) -> timeAware.computeIfAbsent(seed, k -> timeAwareRun(s, seed, plan)).of(method)
          : seriesDetector(method, plan);
      out.add(runSeeds(method, seed -> detector.run(series, seed), plan.seeds(), keepGoing, listener));
    }
    return out;
  }

  /**
   * The detector behind a method name on series: the product's flow ({@link StreamingProtocol#run}, whose
   * NAB scores are its calibrated tail probabilities) or a classical baseline (no NAB scores). A new
   * detector of series is added here under its own method name (and named by {@link Plan#methods}).
   */
  public static SeriesDetector seriesDetector(String method, Plan plan) {
    if (method.equals(FLOW)) {
      FlowSettings flow = plan.flow().orElseThrow();
      return (series, seed) -> {
        StreamingProtocol.Features f = StreamingProtocol.features(series);
        return flowSeed(flow, seed, options -> StreamingProtocol.run(f, seed, options));
      };
    }
    var fitter = Baselines.byName(method);
    return (series, seed) -> SeedOutcome.of(StreamingProtocol.runBaseline(StreamingProtocol.features(series), seed,
        fitter));
  }

  /**
   * Every method of the plan on a multivariate series ({@link MultivariateSeries}): the flow and the
   * baselines see each TEST row alone, the time-aware flow each row given the previous ones.
   */
  public static List<MethodResult> multivariateSeries(MultivariateSeries series, Plan plan, boolean keepGoing,
                                                      Listener listener) {
    List<MethodResult> out = new ArrayList<>();
    Map<Long, TimeAwareDetector.Outcomes> timeAware = new java.util.HashMap<>();
    for (String method : plan.methods()) {
      SeedRun run;
      if (Plan.seriesOnly(method)) {
        FlowSettings flow = plan.flow().orElseThrow();
        run = seed -> timeAware.computeIfAbsent(seed, k -> TimeAwareDetector.run(series, seed,
            plan.timeAware().orElseThrow(), train -> flow.options().options(train, seed))).of(method);
      } else if (method.equals(FLOW)) {
        FlowSettings flow = plan.flow().orElseThrow();
        run = seed -> flowSeed(flow, seed, options -> series.runFlow(seed, options));
      } else {
        var fitter = Baselines.byName(method);
        run = seed -> series.runBaseline(seed, fitter);
      }
      out.add(runSeeds(method, run, plan.seeds(), keepGoing, listener));
    }
    return out;
  }

  /** One seed of the time-aware flow on a series (both of its methods come from this one run). */
  private static TimeAwareDetector.Outcomes timeAwareRun(StreamingProtocol.Series series, long seed, Plan plan) {
    FlowSettings flow = plan.flow().orElseThrow();
    return TimeAwareDetector.run(series, seed, plan.timeAware().orElseThrow(), train -> flow.options().options(train, seed));
  }

  /**
   * One seed of the flow under a protocol (given the trainer options for the TRAIN rows), recording the
   * options it was trained with: the configuration depends on the TRAIN rows.
   */
  private static SeedOutcome flowSeed(FlowSettings f, long seed,
                                      Function<Function<Dataset, ModelTrainer.Options>, SeedOutcome> protocol) {
    List<ModelTrainer.Options> used = new ArrayList<>(1);
    SeedOutcome r = protocol.apply(train -> {
      ModelTrainer.Options o = f.options().options(train, seed);
      used.add(o);
      return o;
    });
    return new SeedOutcome(r.result(), fitted(used), r.anomalyScores());
  }

  /** What the flow was trained with: the configuration depends on the TRAIN rows, so it is recorded per seed. */
  private static Map<String, Object> fitted(List<ModelTrainer.Options> used) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (!used.isEmpty()) {
      ModelTrainer.Options o = used.get(0);
      m.put("spec", specJson(o.spec()));
      m.put("training", Provenance.configMap(o.training()));
    }
    return m;
  }

  /** A spec as a JSON tree (for {@code evaluation.json}). */
  public static Object specJson(FlowSpec spec) {
    try {
      return new ObjectMapper().readTree(spec.toJson());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static MethodResult runSeeds(String method, SeedRun run, List<Long> seeds, boolean keepGoing, Listener listener) {
    List<SeedResult> results = new ArrayList<>();
    List<Map<String, Object>> fitted = new ArrayList<>();
    List<AnomalyScores> scores = new ArrayList<>();
    try {
      for (long seed : seeds) {
        listener.seedStarted(method, seed);
        SeedOutcome r = run.run(seed);
        results.add(r.result());
        fitted.add(r.fitted());
        r.anomalyScores().ifPresent(scores::add);
        listener.seedDone(method, r.result());
      }
    } catch (RuntimeException e) {
      if (!keepGoing) {
        throw e;
      }
      String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      return new MethodResult(method, List.of(), Optional.empty(), List.of(), Optional.of(message), List.of());
    }
    // Scores of some seeds but not all would pair seeds wrongly downstream: all or none.
    return new MethodResult(method, results, Optional.of(TabularProtocol.mean(results)), fitted, Optional.empty(),
        scores.size() == seeds.size() ? scores : List.of());
  }

  /** The {@code methods} object of {@code evaluation.json}: per method its seeds, mean, fits or error. */
  public static Map<String, Object> methodsJson(List<MethodResult> results) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (MethodResult r : results) {
      Map<String, Object> one = new LinkedHashMap<>();
      if (r.ok()) {
        List<Map<String, Object>> seeds = new ArrayList<>();
        for (int i = 0; i < r.seeds().size(); i++) {
          Map<String, Object> s = r.seeds().get(i).toJson();
          if (!r.fitted().get(i).isEmpty()) {
            s.put("fitted", r.fitted().get(i));
          }
          seeds.add(s);
        }
        one.put("seeds", seeds);
        one.put("mean", r.mean().orElseThrow().toJson());
      } else {
        one.put("error", r.error().orElseThrow());
      }
      m.put(r.method(), one);
    }
    return m;
  }
}
