package io.flowguard.core.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.data.DataReader;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.eval.Evaluation.MethodResult;
import io.flowguard.core.eval.TabularProtocol.SeedResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code flowguard evaluate --suite DIR}: finds every labelled data set under a directory, runs the
 * matching protocol on each (tabular, or streaming for series), and writes one summary table.
 *
 * <p>What counts as a data set, decided from each file's header (files in sorted path order, hidden
 * files and folders ignored):
 * <ul>
 *   <li><b>series</b>: a {@code .csv} whose header is exactly {@code timestamp,value,label} (NAB style);
 *   <li><b>tabular</b>: any other {@code .csv} whose last header column is the label column and whose first
 *       data row is all numbers;
 *   <li>anything else is <b>skipped</b> with the reason: other file types (JSON side files, notes), a CSV
 *       without the label column last, and time-indexed multivariate tables such as SKAB's
 *       ({@code datetime} + sensors + label): the tabular protocol would shuffle their time order and
 *       the streaming protocol is defined for one value per point, so {@code PROTOCOL.md} has no
 *       protocol for them.
 * </ul>
 * A data set whose labels leave no anomaly (or no normal point) in TEST is skipped too, AUROC being
 * undefined, unless it is a series with a NAB score ({@link NabCorpus}): NAB counts its false positives.
 * Series with a NAB score are scored by NAB's rules too, with one threshold per profile for all of them
 * ({@link NabReport}), and get their per-point scores written in NAB's result-file layout.
 *
 * <p>A data set that fails (unreadable, bad values, a method that throws) is recorded with its message
 * and the run continues; a method that fails on one data set leaves the other methods' figures.
 */
public final class Suite {

  /** Which protocol a data set gets. */
  public enum Kind {
    TABULAR,
    SERIES,
    /** A time column, numeric columns, the label last ({@link MultivariateSeries}, e.g. SKAB). */
    MULTIVARIATE;

    public String label() {
      return this == MULTIVARIATE ? "multivariate series" : name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A data set found under the root.
   *
   * @param name the relative path without {@code .csv}, with {@code x/x} shortened to {@code x}
   * @param relativePath the path relative to the root, with {@code /} separators
   */
  public record Entry(String name, String relativePath, Path file, Kind kind) {}

  /** How a data set's run ended. */
  public enum Status {
    OK,
    FAILED,
    SKIPPED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A file that is not a data set, and why. */
  public record Skipped(String relativePath, String reason) {}

  /** What {@link #discover} found. */
  public record Discovery(Path root, List<Entry> datasets, List<Skipped> skipped) {
    public Discovery {
      datasets = List.copyOf(datasets);
      skipped = List.copyOf(skipped);
    }

    /**
     * Only the named data sets (by name, or by the last segment of the name).
     *
     * @throws IllegalArgumentException naming the data sets found if a name matches none
     */
    public Discovery only(List<String> names) {
      if (names.isEmpty()) {
        return this;
      }
      List<Entry> keep = new ArrayList<>();
      for (String raw : names) {
        String n = raw.trim();
        List<Entry> match = datasets.stream().filter(e -> e.name().equals(n) || lastSegment(e.name()).equals(n)).toList();
        if (match.isEmpty()) {
          throw new IllegalArgumentException("--only: no data set named '" + n + "' under " + root + "; found "
              + String.join(", ", datasets.stream().map(Entry::name).toList()));
        }
        for (Entry e : match) {
          if (!keep.contains(e)) {
            keep.add(e);
          }
        }
      }
      keep.sort(java.util.Comparator.comparing(Entry::relativePath));
      return new Discovery(root, keep, skipped);
    }
  }

  /**
   * The outcome for one data set.
   *
   * @param status whether it was evaluated, failed or skipped
   * @param message the error (failed) or the reason (skipped); empty when ok
   * @param rows data rows read (0 if unreadable)
   * @param dims feature dimension the methods saw
   * @param methods per method (empty unless ok)
   */
  public record Outcome(Entry entry, Status status, String message, int rows, int dims, double seconds,
                        List<MethodResult> methods) {
    public Outcome {
      methods = List.copyOf(methods);
    }

    public boolean ok() {
      return status == Status.OK;
    }

    public Optional<MethodResult> method(String name) {
      return methods.stream().filter(m -> m.method().equals(name)).findFirst();
    }
  }

  /**
   * The whole run.
   *
   * @param nab the NAB score of each method that has one (the flow), over the run's NAB series
   */
  public record Result(Discovery discovery, List<String> methods, List<Long> seeds, List<Outcome> outcomes,
                       List<NabReport.MethodNab> nab) {
    public Result {
      methods = List.copyOf(methods);
      seeds = List.copyOf(seeds);
      outcomes = List.copyOf(outcomes);
      nab = List.copyOf(nab);
    }

    /** True when at least one data set was attempted and every attempted one failed. */
    public boolean allFailed() {
      long attempted = outcomes.stream().filter(o -> o.status() != Status.SKIPPED).count();
      return attempted > 0 && outcomes.stream().noneMatch(Outcome::ok)
          && outcomes.stream().anyMatch(o -> o.status() == Status.FAILED);
    }
  }

  private Suite() {}

  /** Finds the data sets under {@code root} (recursively, in sorted order). */
  public static Discovery discover(Path root, String labelColumn) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new java.nio.file.NoSuchFileException(root.toString(), null, "not a directory; --suite needs a folder of data sets");
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).filter(p -> !hidden(root, p)).sorted(
          java.util.Comparator.comparing(p -> relative(root, p))).toList();
    }
    List<Entry> datasets = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Path file : files) {
      String rel = relative(root, file);
      if (!rel.toLowerCase(Locale.ROOT).endsWith(".csv")) {
        skipped.add(new Skipped(rel, "not a CSV file (the suite evaluates labelled CSVs)"));
        continue;
      }
      String reason;
      Kind kind = null;
      try {
        Header h = header(file);
        if (h.columns().isEmpty()) {
          reason = "empty file";
        } else if (StreamingProtocol.isSeriesHeader(h.columns())) {
          kind = Kind.SERIES;
          reason = "";
        } else if (!h.columns().get(h.columns().size() - 1).trim().equals(labelColumn)) {
          reason = "the last column is '" + h.columns().get(h.columns().size() - 1).trim() + "', not the label column '"
              + labelColumn + "' (set --label-column if the labels have another name)";
        } else if (h.firstNonNumeric().isPresent() && h.firstNonNumeric().get().equals(h.columns().get(0).trim())
            && MultivariateSeries.isCandidate(h.columns(), h.firstValue(), labelColumn)) {
          kind = Kind.MULTIVARIATE;
          reason = "";
        } else if (h.firstNonNumeric().isPresent()) {
          reason = "column '" + h.firstNonNumeric().get() + "' is not numeric: a time-indexed multivariate table;"
              + " PROTOCOL.md has no protocol for it (the tabular one would shuffle time, the streaming one is for"
              + " timestamp,value,label series)";
        } else {
          kind = Kind.TABULAR;
          reason = "";
        }
      } catch (IOException | UncheckedIOException e) {
        reason = "unreadable: " + e.getMessage();
      }
      if (kind == null) {
        skipped.add(new Skipped(rel, reason));
      } else {
        datasets.add(new Entry(name(rel), rel, file, kind));
      }
    }
    return new Discovery(root, uniqueNames(datasets), skipped);
  }

  /** Where shortening {@code x/x} to {@code x} would make two names equal, those keep their full path. */
  private static List<Entry> uniqueNames(List<Entry> entries) {
    Map<String, Integer> count = new LinkedHashMap<>();
    for (Entry e : entries) {
      count.merge(e.name(), 1, Integer::sum);
    }
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      String full = e.relativePath().substring(0, e.relativePath().length() - ".csv".length());
      out.add(count.get(e.name()) > 1 ? new Entry(full, e.relativePath(), e.file(), e.kind()) : e);
    }
    return out;
  }

  /**
   * Runs every data set and writes {@code summary.md}, {@code summary.json} and each data set's
   * {@code evaluation.json} (in a subfolder named after it) into {@code out}.
   *
   * @param progress one line per data set (name, seconds, AUROC per method)
   */
  public static Result run(Discovery discovery, Evaluation.Plan plan, String labelColumn, Path out,
                           PrintWriter progress) throws IOException {
    return run(discovery, plan, labelColumn, out, progress, NabCorpus.none());
  }

  /**
   * As {@link #run(Discovery, Evaluation.Plan, String, Path, PrintWriter)}, and the NAB score of the series
   * {@code nab} labels, with one threshold per profile and seed for all of them. Those series are evaluated
   * even without anomalies in TEST (their AUROC and AP are then undefined): NAB's corpus counts their false
   * positives.
   */
  public static Result run(Discovery discovery, Evaluation.Plan plan, String labelColumn, Path out,
                           PrintWriter progress, NabCorpus nab) throws IOException {
    Files.createDirectories(out);
    List<Outcome> outcomes = new ArrayList<>();
    int i = 0;
    for (Entry e : discovery.datasets()) {
      i++;
      progress.printf(Locale.ROOT, "[%d/%d] %s (%s): running...%n", i, discovery.datasets().size(), e.name(), e.kind().label());
      progress.flush();
      long t0 = System.nanoTime();
      Outcome o = runOne(e, plan, labelColumn, out, t0, nab.of(e.file()).isPresent());
      outcomes.add(o);
      StringBuilder line = new StringBuilder();
      line.append(String.format(Locale.ROOT, "[%d/%d] %s: %s in %.1f s", i, discovery.datasets().size(), e.name(),
          o.status().label(), o.seconds()));
      if (o.ok()) {
        line.append(String.format(Locale.ROOT, " (%d rows x %d)", o.rows(), o.dims()));
        for (MethodResult m : o.methods()) {
          double auroc = m.ok() ? m.mean().orElseThrow().auroc() : Double.NaN;
          line.append(!m.ok() ? ", " + m.method() + " failed" : Double.isNaN(auroc)
              ? ", " + m.method() + " scored (no AUROC: one class in TEST)"
              : String.format(Locale.ROOT, ", %s AUROC %.3f", m.method(), auroc));
        }
      } else {
        line.append(": ").append(o.message());
      }
      progress.println(line);
      progress.flush();
    }
    Result result = new Result(discovery, plan.methods(), plan.seeds(), outcomes, nab(plan, outcomes, nab));
    Files.writeString(out.resolve("summary.md"), markdown(result), StandardCharsets.UTF_8);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("summary.json").toFile(),
        json(result));
    return result;
  }

  /** The NAB score of each method with anomaly scores, over the series {@code nab} labels. */
  private static List<NabReport.MethodNab> nab(Evaluation.Plan plan, List<Outcome> outcomes, NabCorpus nab) {
    List<NabReport.MethodNab> out = new ArrayList<>();
    if (nab.isEmpty()) {
      return out;
    }
    for (String method : plan.methods()) {
      List<NabReport.Member> members = new ArrayList<>();
      List<String> failed = new ArrayList<>();
      for (Outcome o : outcomes) {
        if (nab.of(o.entry().file()).isEmpty()) {
          continue;
        }
        Optional<MethodResult> m = o.method(method);
        if (o.ok() && m.isPresent()) {
          members.add(new NabReport.Member(o.entry().name(), nab.of(o.entry().file()).orElseThrow(), m.get()));
        } else {
          failed.add(o.entry().name() + ": " + (o.message().isEmpty() ? o.status().label() : o.message()));
        }
      }
      NabReport.of(method, plan.seeds(), members, failed).ifPresent(out::add);
    }
    return out;
  }

  private static Outcome runOne(Entry e, Evaluation.Plan plan, String labelColumn, Path out, long t0, boolean nab) {
    int rows = 0;
    int dims = 0;
    try {
      List<MethodResult> methods;
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("data", e.file().toString());
      json.put("kind", e.kind().label());
      if (e.kind() == Kind.TABULAR) {
        Dataset ds = DataReader.read(e.file());
        rows = ds.rows();
        double[] labelValues = ds.column(labelColumn);
        Dataset features = ds.without(labelColumn);
        dims = features.dim();
        int anomalies = 0;
        for (double v : labelValues) {
          anomalies += v == 1.0 ? 1 : 0;
        }
        if (anomalies == 0 || anomalies == rows) {
          return skipped(e, rows, dims, anomalies == 0 ? "no anomalies (label 1): AUROC is undefined"
              : "no normal rows (label 0) to train on", t0);
        }
        int[] labels = TabularProtocol.labels(labelValues, e.file().toString(), labelColumn);
        methods = Evaluation.tabular(features, labels, plan, true, Evaluation.Listener.NONE);
        json.put("label_column", labelColumn);
        json.put("rows", rows);
        json.put("features", dims);
        json.put("anomalies", anomalies);
        json.put("protocol", "tabular novelty detection: 60% of shuffled normal rows train, rest + all anomalies test");
      } else if (e.kind() == Kind.MULTIVARIATE) {
        String timeColumn = Header.columnsOf(e.file()).get(0).trim();
        MultivariateSeries ms = MultivariateSeries.read(e.file(), timeColumn, labelColumn);
        rows = ms.rows();
        dims = ms.features().dim();
        int[] test = ms.testLabels();
        int testAnomalies = java.util.Arrays.stream(test).sum();
        if (testAnomalies == 0 || testAnomalies == test.length) {
          return skipped(e, rows, dims, testAnomalies == 0
              ? "no anomalies (label 1) after the first 15 % (TEST): AUROC is undefined"
              : "every TEST row is labelled anomalous: AUROC is undefined", t0);
        }
        methods = Evaluation.multivariateSeries(ms, plan, true, Evaluation.Listener.NONE);
        json.put("rows", rows);
        json.put("features", dims);
        json.put("time_column", timeColumn);
        json.put("train_rows", ms.trainRows());
        json.put("test_rows", test.length);
        json.put("test_anomalies", testAnomalies);
        json.put("protocol", "multivariate series: first 15% of the rows train, the rest scored in order (each row"
            + " alone; the time-aware flow given the previous rows)");
      } else {
        StreamingProtocol.Series s = StreamingProtocol.read(e.file());
        rows = s.length();
        dims = StreamingProtocol.DIM;
        StreamingProtocol.Features f = StreamingProtocol.features(s);
        int testAnomalies = StreamingProtocol.testAnomalies(f);
        if (!nab && (testAnomalies == 0 || testAnomalies == f.testLabels().length)) {
          return skipped(e, rows, dims, testAnomalies == 0
              ? "no anomalies (label 1) after the first 15 % (TEST): AUROC is undefined"
              : "every TEST point is labelled anomalous: AUROC is undefined", t0);
        }
        methods = Evaluation.streaming(s, plan, true, Evaluation.Listener.NONE);
        if (nab) {
          Path dir = Files.createDirectories(out.resolve(e.name()));
          writeNabResultFiles(dir, s, methods, plan.seeds());
        }
        json.put("rows", rows);
        json.put("features", dims);
        json.put("train_points", f.trainPoints());
        json.put("test_points", f.testLabels().length);
        json.put("test_anomalies", testAnomalies);
        json.put("protocol", "streaming series: first 15% train (windows of 8 standardized values + 7 differences),"
            + " the rest scored in order");
      }
      // The flow's configuration depends on the TRAIN rows; each seed's is under methods.flow.seeds[].fitted.
      methods.stream().filter(m -> m.method().equals(Evaluation.FLOW) && m.ok() && !m.fitted().isEmpty())
          .findFirst().ifPresent(m -> json.put("spec", m.fitted().get(0).get("spec")));
      json.put("seeds_run", plan.seeds());
      json.put("methods", Evaluation.methodsJson(methods));
      Path dir = out.resolve(e.name());
      Files.createDirectories(dir);
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("evaluation.json").toFile(), json);
      double seconds = (System.nanoTime() - t0) / 1e9;
      boolean anyOk = methods.stream().anyMatch(MethodResult::ok);
      String message = anyOk ? "" : "every method failed: " + methods.get(0).error().orElse("");
      return new Outcome(e, anyOk ? Status.OK : Status.FAILED, message, rows, dims, seconds, anyOk ? methods : List.of());
    } catch (IOException | RuntimeException ex) {
      String message = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
      return new Outcome(e, Status.FAILED, message, rows, dims, (System.nanoTime() - t0) / 1e9, List.of());
    }
  }

  /**
   * Each method's anomaly scores per seed in NAB's result-file layout ({@link NabReport#resultFileName}), so
   * that NAB's own scorer can be run on them.
   */
  public static void writeNabResultFiles(Path dir, StreamingProtocol.Series s, List<MethodResult> methods, List<Long> seeds)
      throws IOException {
    for (MethodResult m : methods) {
      for (int j = 0; j < m.anomalyScores().size(); j++) {
        NabReport.writeResultFile(dir.resolve(NabReport.resultFileName(m.method(), seeds.get(j))), s,
            m.anomalyScores().get(j));
      }
    }
  }

  private static Outcome skipped(Entry e, int rows, int dims, String reason, long t0) {
    return new Outcome(e, Status.SKIPPED, reason, rows, dims, (System.nanoTime() - t0) / 1e9, List.of());
  }

  // ---------------------------------------------------------------------------------------------------
  // Summary

  /**
   * Means of one method over the ok data sets of one kind where it succeeded; AUROC and AP over the
   * {@code ranked} ones where they are defined (a NAB series without anomalies in TEST has neither).
   */
  record MethodMean(int datasets, int ranked, double auroc, double ap, double testNll, double fitSeconds) {}

  static Optional<MethodMean> mean(List<Outcome> outcomes, Kind kind, String method) {
    int n = 0;
    int ranked = 0;
    double auroc = 0;
    double ap = 0;
    double nll = 0;
    double fit = 0;
    for (Outcome o : outcomes) {
      if (!o.ok() || o.entry().kind() != kind) {
        continue;
      }
      Optional<MethodResult> m = o.method(method);
      if (m.isEmpty() || !m.get().ok()) {
        continue;
      }
      SeedResult r = m.get().mean().orElseThrow();
      n++;
      if (!Double.isNaN(r.auroc())) {
        ranked++;
        auroc += r.auroc();
        ap += r.ap();
      }
      nll += r.testNll();
      fit += r.fitSeconds();
    }
    return n == 0 ? Optional.empty() : Optional.of(new MethodMean(n, ranked, ranked == 0 ? Double.NaN : auroc / ranked,
        ranked == 0 ? Double.NaN : ap / ranked, nll / n, fit / n));
  }

  static String markdown(Result r) {
    StringBuilder s = new StringBuilder();
    s.append("# Evaluation suite\n\n");
    s.append("Root: `").append(r.discovery().root()).append("`. Seeds: ")
        .append(String.join(",", r.seeds().stream().map(String::valueOf).toList()))
        .append(". Methods: ").append(String.join(", ", r.methods())).append(".\n");
    s.append("Figures are means over the seeds; test NLL is nats per normal TEST row in the protocol's standardized"
        + " space (series: the 15-dimensional window space, degenerate, see docs/evaluation.md).\n\n");
    s.append("| data set | kind | rows | dims |");
    StringBuilder rule = new StringBuilder("|---|---|---:|---:|");
    for (String m : r.methods()) {
      s.append(' ').append(m).append(" AUROC | ").append(m).append(" AP | ").append(m).append(" test NLL | ")
          .append(m).append(" fit s |");
      rule.append("---:|---:|---:|---:|");
    }
    s.append('\n').append(rule).append('\n');
    for (Kind kind : Kind.values()) {
      List<Outcome> ofKind = r.outcomes().stream().filter(o -> o.ok() && o.entry().kind() == kind).toList();
      if (ofKind.isEmpty()) {
        continue;
      }
      for (Outcome o : ofKind) {
        s.append("| ").append(o.entry().name()).append(" | ").append(kind.label()).append(" | ").append(o.rows())
            .append(" | ").append(o.dims()).append(" |");
        for (String m : r.methods()) {
          Optional<MethodResult> mr = o.method(m);
          if (mr.isPresent() && mr.get().ok()) {
            SeedResult x = mr.get().mean().orElseThrow();
            s.append(' ').append(f3(x.auroc())).append(" | ").append(f3(x.ap())).append(" | ").append(nll(x.testNll()))
                .append(" | ").append(String.format(Locale.ROOT, "%.2f", x.fitSeconds())).append(" |");
          } else if (Evaluation.Plan.seriesOnly(m) && mr.isEmpty()) {
            s.append(" - | - | - | - |");
          } else {
            s.append(" failed | | | |");
          }
        }
        s.append('\n');
      }
      s.append("| **mean** | ").append(kind.label()).append(" | ").append(ofKind.size()).append(" sets | |");
      for (String m : r.methods()) {
        Optional<MethodMean> mm = mean(r.outcomes(), kind, m);
        if (mm.isPresent()) {
          String over = mm.get().ranked() < ofKind.size() ? " (" + mm.get().ranked() + " sets)" : "";
          s.append(" **").append(f3(mm.get().auroc())).append("**").append(over).append(" | ").append(f3(mm.get().ap()))
              .append(" | ").append(nll(mm.get().testNll())).append(" | ")
              .append(String.format(Locale.ROOT, "%.2f", mm.get().fitSeconds())).append(" |");
        } else {
          s.append(" - | - | - | - |");
        }
      }
      s.append('\n');
    }
    for (NabReport.MethodNab n : r.nab()) {
      s.append(NabReport.markdown(n));
    }
    List<Outcome> failed = r.outcomes().stream().filter(o -> o.status() == Status.FAILED).toList();
    List<String> methodFailures = new ArrayList<>();
    for (Outcome o : r.outcomes()) {
      for (MethodResult m : o.methods()) {
        m.error().ifPresent(err -> methodFailures.add(o.entry().name() + " / " + m.method() + ": " + err));
      }
    }
    if (!failed.isEmpty() || !methodFailures.isEmpty()) {
      s.append("\n## Failed\n\n");
      for (Outcome o : failed) {
        s.append("- `").append(o.entry().relativePath()).append("`: ").append(oneLine(o.message())).append('\n');
      }
      for (String m : methodFailures) {
        s.append("- ").append(oneLine(m)).append('\n');
      }
    }
    List<Skipped> skipped = new ArrayList<>();
    for (Outcome o : r.outcomes()) {
      if (o.status() == Status.SKIPPED) {
        skipped.add(new Skipped(o.entry().relativePath(), o.message()));
      }
    }
    skipped.addAll(r.discovery().skipped());
    if (!skipped.isEmpty()) {
      // Grouped by reason: a folder of data sets usually has many files skipped for the same reason.
      Map<String, List<String>> byReason = new LinkedHashMap<>();
      for (Skipped k : skipped) {
        byReason.computeIfAbsent(k.reason(), x -> new ArrayList<>()).add(k.relativePath());
      }
      s.append("\n## Skipped (").append(skipped.size()).append(" files)\n\n");
      for (Map.Entry<String, List<String>> e : byReason.entrySet()) {
        s.append("- ").append(oneLine(e.getKey())).append(": ");
        s.append(String.join(", ", e.getValue().stream().map(p -> "`" + p + "`").toList())).append('\n');
      }
    }
    return s.toString();
  }

  static Map<String, Object> json(Result r) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("root", r.discovery().root().toString());
    j.put("seeds", r.seeds());
    j.put("methods", r.methods());
    List<Map<String, Object>> sets = new ArrayList<>();
    for (Outcome o : r.outcomes()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", o.entry().name());
      m.put("file", o.entry().relativePath());
      m.put("kind", o.entry().kind().label());
      m.put("status", o.status().label());
      if (!o.message().isEmpty()) {
        m.put(o.status() == Status.SKIPPED ? "reason" : "error", o.message());
      }
      m.put("rows", o.rows());
      m.put("dims", o.dims());
      m.put("seconds", o.seconds());
      if (o.ok()) {
        m.put("evaluation", o.entry().name() + "/evaluation.json");
        Map<String, Object> methods = new LinkedHashMap<>();
        for (MethodResult mr : o.methods()) {
          if (mr.ok()) {
            SeedResult x = mr.mean().orElseThrow();
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("auroc", finiteOrNull(x.auroc()));
            f.put("ap", finiteOrNull(x.ap()));
            f.put("test_nll", x.testNll());
            f.put("fit_seconds", x.fitSeconds());
            f.put("score_events_per_second", x.scoreEventsPerSecond());
            methods.put(mr.method(), f);
          } else {
            methods.put(mr.method(), Map.of("error", mr.error().orElseThrow()));
          }
        }
        m.put("methods", methods);
      }
      sets.add(m);
    }
    j.put("datasets", sets);
    Map<String, Object> means = new LinkedHashMap<>();
    for (Kind kind : Kind.values()) {
      Map<String, Object> perMethod = new LinkedHashMap<>();
      for (String method : r.methods()) {
        mean(r.outcomes(), kind, method).ifPresent(mm -> {
          Map<String, Object> f = new LinkedHashMap<>();
          f.put("datasets", mm.datasets());
          if (mm.ranked() < mm.datasets()) {
            f.put("datasets_with_auroc", mm.ranked());
          }
          f.put("auroc", finiteOrNull(mm.auroc()));
          f.put("ap", finiteOrNull(mm.ap()));
          f.put("test_nll", mm.testNll());
          f.put("fit_seconds", mm.fitSeconds());
          perMethod.put(method, f);
        });
      }
      if (!perMethod.isEmpty()) {
        means.put(kind.label(), perMethod);
      }
    }
    j.put("means", means);
    List<Map<String, Object>> skipped = new ArrayList<>();
    for (Skipped k : r.discovery().skipped()) {
      skipped.add(Map.of("file", k.relativePath(), "reason", k.reason()));
    }
    j.put("skipped_files", skipped);
    if (!r.nab().isEmpty()) {
      j.put("nab", r.nab().stream().map(NabReport::json).toList());
    }
    return j;
  }

  /** AUROC and AP are undefined (NaN) on a series with one class in TEST: JSON null, not the string "NaN". */
  static Object finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  // ---------------------------------------------------------------------------------------------------

  private record Header(List<String> columns, Optional<String> firstNonNumeric, String firstValue) {
    static List<String> columnsOf(Path file) throws IOException {
      return header(file).columns();
    }
  }

  private static Header header(Path file) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String h = in.readLine();
      while (h != null && h.isBlank()) {
        h = in.readLine();
      }
      if (h == null) {
        return new Header(List.of(), Optional.empty(), "");
      }
      List<String> cols = List.of(h.replace("\uFEFF", "").split(",", -1));
      String first = in.readLine();
      while (first != null && first.isBlank()) {
        first = in.readLine();
      }
      Optional<String> nonNumeric = Optional.empty();
      if (first != null) {
        String[] f = first.split(",", -1);
        for (int i = 0; i < Math.min(f.length, cols.size()); i++) {
          try {
            Double.parseDouble(f[i].trim().replace("\"", ""));
          } catch (NumberFormatException ex) {
            nonNumeric = Optional.of(cols.get(i).trim());
            break;
          }
        }
      }
      String firstValue = first == null ? "" : first.split(",", -1)[0].trim();
      return new Header(cols, nonNumeric, firstValue);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new IOException("not UTF-8 text");
    }
  }

  private static boolean hidden(Path root, Path p) {
    for (Path part : root.relativize(p)) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static String relative(Path root, Path p) {
    List<String> parts = new ArrayList<>();
    for (Path part : root.relativize(p)) {
      parts.add(part.toString());
    }
    return String.join("/", parts);
  }

  static String name(String relativePath) {
    String noExt = relativePath.substring(0, relativePath.length() - ".csv".length());
    String[] parts = noExt.split("/");
    if (parts.length >= 2 && parts[parts.length - 1].equals(parts[parts.length - 2])) {
      return String.join("/", java.util.Arrays.copyOf(parts, parts.length - 1));
    }
    return noExt;
  }

  private static String lastSegment(String name) {
    int i = name.lastIndexOf('/');
    return i < 0 ? name : name.substring(i + 1);
  }

  private static String oneLine(String s) {
    return s.replace('\n', ' ').replace("|", "\\|");
  }

  private static String f3(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : String.valueOf(v);
  }

  private static String nll(double v) {
    if (!Double.isFinite(v)) {
      return String.valueOf(v);
    }
    return Math.abs(v) < 1e4 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.3g", v);
  }
}
