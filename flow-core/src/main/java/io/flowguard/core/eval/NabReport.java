package io.flowguard.core.eval;

import io.flowguard.core.eval.Evaluation.MethodResult;
import io.flowguard.core.eval.nab.AnomalyScores;
import io.flowguard.core.eval.nab.NabEvaluation;
import io.flowguard.core.eval.nab.NabEvaluation.ProfileResult;
import io.flowguard.core.eval.nab.NabProfile;
import io.flowguard.core.eval.nab.NabScorer;
import io.flowguard.core.eval.nab.NabSeries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The NAB score of one method over the NAB series of an {@code evaluate} run, seed by seed (each seed's
 * scores of every series form one suite, thresholded as NAB does: one optimized threshold per profile for
 * the whole suite), as a section of {@code summary.md} and an object of {@code summary.json}.
 */
public final class NabReport {

  /**
   * One series of the suite.
   *
   * @param name the data set's name in the run
   * @param series its NAB labelling
   * @param method the method's result on it, with anomaly scores for every seed
   */
  public record Member(String name, NabSeries series, MethodResult method) {}

  /**
   * The NAB score of one method.
   *
   * @param perSeed per seed (the plan's order), per profile ({@link NabProfile#ALL}'s order)
   * @param leftOut NAB series this method has no scores for, each with the reason (the suite is then not
   *     the whole corpus)
   */
  public record MethodNab(String method, List<Long> seeds, List<Member> members, List<List<ProfileResult>> perSeed,
                          List<String> leftOut) {
    public MethodNab {
      seeds = List.copyOf(seeds);
      members = List.copyOf(members);
      perSeed = List.copyOf(perSeed);
      leftOut = List.copyOf(leftOut);
    }

    /** The mean over seeds of a figure of a profile's result. */
    double mean(int profile, java.util.function.ToDoubleFunction<ProfileResult> f) {
      double s = 0;
      for (List<ProfileResult> r : perSeed) {
        s += f.applyAsDouble(r.get(profile));
      }
      return s / perSeed.size();
    }
  }

  private NabReport() {}

  /**
   * Scores a method over the members, seed by seed.
   *
   * @param candidates every NAB series of the run with the method's result on it (failed ones included)
   * @return empty when no member has anomaly scores from this method (a baseline)
   */
  public static Optional<MethodNab> of(String method, List<Long> seeds, List<Member> candidates,
                                       List<String> failedSeries) {
    List<Member> members = new ArrayList<>();
    List<String> leftOut = new ArrayList<>(failedSeries);
    for (Member m : candidates) {
      if (m.method().ok() && m.method().anomalyScores().size() == seeds.size()) {
        members.add(m);
      } else {
        leftOut.add(m.name() + ": " + m.method().error().orElse("no anomaly scores"));
      }
    }
    if (members.isEmpty() || candidates.stream().noneMatch(m -> !m.method().anomalyScores().isEmpty())) {
      return Optional.empty();
    }
    List<List<ProfileResult>> perSeed = new ArrayList<>();
    for (int j = 0; j < seeds.size(); j++) {
      List<NabScorer.Scored> suite = new ArrayList<>();
      for (Member m : members) {
        suite.add(new NabScorer.Scored(m.series(), m.method().anomalyScores().get(j)));
      }
      perSeed.add(NabEvaluation.evaluate(suite));
    }
    return Optional.of(new MethodNab(method, seeds, members, perSeed, leftOut));
  }

  /**
   * Writes a series' scores in the layout of NAB's result files ({@code timestamp,value,anomaly_score,label}),
   * so that NAB's own scorer can be run on them; points without a score get 0.
   */
  public static void writeResultFile(Path file, StreamingProtocol.Series s, AnomalyScores scores) throws IOException {
    StringBuilder b = new StringBuilder("timestamp,value,anomaly_score,label\n");
    for (int i = 0; i < s.length(); i++) {
      double a = i < scores.firstScored() ? 0.0 : scores.at(i);
      b.append(s.timestamps().get(i)).append(',').append(s.values()[i]).append(',').append(a).append(',')
          .append(s.labels()[i]).append('\n');
    }
    Files.writeString(file, b, StandardCharsets.UTF_8);
  }

  /** The file name of a method's NAB result file for one seed. */
  public static String resultFileName(String method, long seed) {
    return "nab_" + method + "_seed" + seed + ".csv";
  }

  /** Windows of a member that start before its first scored point: caught late at best, or missed. */
  static int windowsBeforeScoring(Member m) {
    int first = m.method().anomalyScores().get(0).firstScored();
    int c = 0;
    for (int k = 0; k < m.series().windowCount(); k++) {
      c += m.series().scored(k) && m.series().windowFirst(k) < first ? 1 : 0;
    }
    return c;
  }

  /** The {@code summary.md} section. */
  public static String markdown(MethodNab r) {
    StringBuilder s = new StringBuilder();
    String m = r.method();
    List<NabProfile> profiles = NabProfile.ALL;
    int windows = r.perSeed().get(0).get(0).windows();
    long points = r.members().stream().mapToLong(x -> x.series().length()).sum();
    s.append("\n## NAB score (").append(m).append(")\n\n");
    s.append(String.format(Locale.ROOT, "NAB's scoring of the %s's per-point anomaly scores over %d series (%d points,"
        + " %d windows), seeds %s, means over the seeds. For each profile and seed one threshold is optimized over the"
        + " whole suite, as NAB does; a series' cell is its raw score at that threshold (the suite's raw score is"
        + " their sum). Anomaly score = min(1, -log10(p) / 300) of the calibrated tail probability p; see"
        + " docs/evaluation.md.%n%n", m, r.members().size(), points, windows, join(r.seeds())));
    s.append("| series | points | windows | windows before first score | ").append(m).append(" AUROC | ").append(m)
        .append(" AP |");
    StringBuilder rule = new StringBuilder("|---|---:|---:|---:|---:|---:|");
    for (NabProfile p : profiles) {
      s.append(' ').append(p.name()).append(" |");
      rule.append("---:|");
    }
    s.append(" windows detected (standard) | false positives (standard) |\n");
    s.append(rule).append("---:|---:|\n");
    double aurocSum = 0;
    double apSum = 0;
    int ranked = 0;
    int before = 0;
    double detected = 0;
    double falsePositives = 0;
    for (int i = 0; i < r.members().size(); i++) {
      Member x = r.members().get(i);
      TabularProtocol.SeedResult mean = x.method().mean().orElseThrow();
      int finalI = i;
      int b = windowsBeforeScoring(x);
      before += b;
      s.append("| ").append(x.name()).append(" | ").append(x.series().length()).append(" | ")
          .append(r.perSeed().get(0).get(0).series().get(i).windows()).append(" | ").append(b).append(" | ")
          .append(f3(mean.auroc())).append(" | ").append(f3(mean.ap())).append(" |");
      if (Double.isFinite(mean.auroc())) {
        aurocSum += mean.auroc();
        apSum += mean.ap();
        ranked++;
      }
      for (int p = 0; p < profiles.size(); p++) {
        s.append(' ').append(f2(r.mean(p, pr -> pr.series().get(finalI).raw()))).append(" |");
      }
      double d = r.mean(0, pr -> pr.series().get(finalI).detectedWindows());
      double fp = r.mean(0, pr -> pr.series().get(finalI).falsePositives());
      detected += d;
      falsePositives += fp;
      s.append(' ').append(f1(d)).append(" | ").append(f1(fp)).append(" |\n");
    }
    s.append("| **suite, normalized** | ").append(points).append(" | ").append(windows).append(" | ").append(before)
        .append(" | ").append(ranked == 0 ? "-" : f3(aurocSum / ranked)).append(" | ")
        .append(ranked == 0 ? "-" : f3(apSum / ranked)).append(" |");
    for (int p = 0; p < profiles.size(); p++) {
      s.append(" **").append(f1(r.mean(p, ProfileResult::normalized))).append("** |");
    }
    s.append(' ').append(f1(detected)).append(" | ").append(f1(falsePositives)).append(" |\n\n");
    s.append("| profile | A_TP, A_FP, A_FN | normalized (per seed) | raw | null | perfect | threshold per seed"
        + " (tail probability) |\n|---|---|---:|---:|---:|---:|---|\n");
    for (int p = 0; p < profiles.size(); p++) {
      NabProfile prof = profiles.get(p);
      List<String> perSeed = new ArrayList<>();
      List<String> thresholds = new ArrayList<>();
      for (List<ProfileResult> seed : r.perSeed()) {
        ProfileResult x = seed.get(p);
        perSeed.add(f1(x.normalized()));
        thresholds.add(threshold(x.threshold()));
      }
      ProfileResult first = r.perSeed().get(0).get(p);
      s.append("| ").append(prof.name()).append(" | ").append(weights(prof)).append(" | ")
          .append(f1(r.mean(p, ProfileResult::normalized))).append(" (").append(String.join(", ", perSeed))
          .append(") | ").append(f2(r.mean(p, ProfileResult::raw))).append(" | ").append(f2(first.nullScore()))
          .append(" | ").append(f2(first.perfectScore())).append(" | ").append(String.join(", ", thresholds))
          .append(" |\n");
    }
    if (!r.leftOut().isEmpty()) {
      s.append("\nLeft out of the NAB suite (so it is not the whole corpus): ")
          .append(String.join("; ", r.leftOut().stream().map(x -> x.replace('\n', ' ')).toList())).append(".\n");
    }
    s.append("\n### NAB score per series at its own best threshold (for information only)\n\n");
    s.append("Not NAB's protocol, which fixes one threshold for the whole corpus: each series gets the threshold"
        + " that is best for it, an optimistic bound. Normalized per series with its own windows (- for a series"
        + " without windows, where only false positives can be scored).\n\n");
    s.append("| series |");
    StringBuilder rule2 = new StringBuilder("|---|");
    for (NabProfile p : profiles) {
      s.append(' ').append(p.name()).append(" |");
      rule2.append("---:|");
    }
    s.append('\n').append(rule2).append('\n');
    for (int i = 0; i < r.members().size(); i++) {
      int finalI = i;
      s.append("| ").append(r.members().get(i).name()).append(" |");
      for (int p = 0; p < profiles.size(); p++) {
        s.append(' ').append(f1(r.mean(p, pr -> pr.seriesOptimum().get(finalI).normalized()))).append(" |");
      }
      s.append('\n');
    }
    return s.toString();
  }

  /** The {@code summary.json} object. */
  public static Map<String, Object> json(MethodNab r) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("method", r.method());
    j.put("seeds", r.seeds());
    j.put("anomaly_score", "min(1, -log10(tail probability) / 300)");
    List<Map<String, Object>> series = new ArrayList<>();
    for (Member m : r.members()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("name", m.name());
      x.put("key", m.series().name());
      x.put("points", m.series().length());
      x.put("probationary_points", m.series().probation());
      x.put("windows", m.series().scoredWindows());
      x.put("first_scored_point", m.method().anomalyScores().get(0).firstScored());
      x.put("windows_before_first_score", windowsBeforeScoring(m));
      series.add(x);
    }
    j.put("series", series);
    j.put("left_out", r.leftOut());
    Map<String, Object> profiles = new LinkedHashMap<>();
    for (int p = 0; p < NabProfile.ALL.size(); p++) {
      NabProfile prof = NabProfile.ALL.get(p);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("weights", Map.of("tp", prof.tpWeight(), "fp", prof.fpWeight(), "fn", prof.fnWeight()));
      o.put("normalized_mean", num(r.mean(p, ProfileResult::normalized)));
      o.put("raw_mean", r.mean(p, ProfileResult::raw));
      o.put("null", r.perSeed().get(0).get(p).nullScore());
      o.put("perfect", r.perSeed().get(0).get(p).perfectScore());
      List<Map<String, Object>> seeds = new ArrayList<>();
      for (int k = 0; k < r.seeds().size(); k++) {
        ProfileResult x = r.perSeed().get(k).get(p);
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("seed", r.seeds().get(k));
        sd.put("threshold", x.threshold());
        sd.put("threshold_tail_probability", tail(x.threshold()));
        sd.put("raw", x.raw());
        sd.put("normalized", num(x.normalized()));
        List<Map<String, Object>> per = new ArrayList<>();
        for (int i = 0; i < r.members().size(); i++) {
          NabScorer.SeriesScore at = x.series().get(i);
          NabEvaluation.SeriesOptimum own = x.seriesOptimum().get(i);
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("name", r.members().get(i).name());
          e.put("raw", at.raw());
          e.put("normalized", num(NabScorer.normalized(at.raw(), at.windows(), prof)));
          e.put("windows_detected", at.detectedWindows());
          e.put("windows_missed", at.missedWindows());
          e.put("detections", at.detections());
          e.put("false_positives", at.falsePositives());
          e.put("own_threshold", own.threshold());
          e.put("own_raw", own.raw());
          e.put("own_normalized", num(own.normalized()));
          per.add(e);
        }
        sd.put("series", per);
        seeds.add(sd);
      }
      o.put("seeds", seeds);
      profiles.put(prof.name(), o);
    }
    j.put("profiles", profiles);
    return j;
  }

  /** A threshold with the tail probability it stands for; "nothing" for the threshold above every score. */
  private static String threshold(double t) {
    if (t > 1) {
      return "none (nothing detected)";
    }
    return String.format(Locale.ROOT, "%.4g (p <= %.2e)", t, AnomalyScores.tailProbabilityOf(t));
  }

  private static Object tail(double threshold) {
    return threshold > 1 ? null : AnomalyScores.tailProbabilityOf(threshold);
  }

  private static Object num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static String weights(NabProfile p) {
    return String.format(Locale.ROOT, "%s, %s, %s", trim(p.tpWeight()), trim(p.fpWeight()), trim(p.fnWeight()));
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  private static String join(List<Long> seeds) {
    return String.join(",", seeds.stream().map(String::valueOf).toList());
  }

  private static String f1(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f", v) : "-";
  }

  private static String f2(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-";
  }

  private static String f3(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "-";
  }
}
