package io.flowguard.core.diagnostics;

import io.flowguard.core.explain.Explainer;
import io.flowguard.core.explain.Explanation;
import io.flowguard.core.explain.FeatureContribution;
import io.flowguard.core.model.FlowModel;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The report's "Explanations" section: the most anomalous rows of the shown data with their explanations
 * (top features, typical values, contributions), and a bar plot of which features explain the alerts most
 * often (how many alerts name each feature first). See docs/explanations.md.
 */
public final class ExplanationReport {

  /** The figure's file name in the report directory. */
  public static final String FEATURE_BARS = "explanations-by-feature.png";
  /** Rows listed in the table. */
  static final int TABLE_ROWS = 20;
  /** Most alerts explained for the bar plot (the most anomalous first), to bound the report's time. */
  static final int MAX_EXPLAINED = 500;
  /** Bars shown (the features named first most often). */
  static final int MAX_BARS = 15;

  private ExplanationReport() {}

  /**
   * Explains the alerts among {@code n} raw rows ({@code nll} above {@code threshold}) and writes the bar
   * plot into {@code dir}; returns the section's HTML.
   *
   * @param rate the false-alarm rate of the threshold (for joint anomalies)
   */
  public static String write(FlowModel model, double[] raw, int n, double[] nll, double threshold, double rate,
                             String source, Path dir) throws IOException {
    int d = model.rawDim();
    Integer[] alerts = java.util.stream.IntStream.range(0, n).filter(r -> !(nll[r] <= threshold)).boxed()
        .sorted(Comparator.comparingDouble((Integer r) -> nll[r]).reversed()).toArray(Integer[]::new);
    StringBuilder h = new StringBuilder("<h2>Explanations</h2>\n");
    if (alerts.length == 0) {
      h.append("<p>No row of ").append(Report.esc(source)).append(" is above the anomaly threshold (")
          .append(Report.esc(Report.num(threshold))).append(" nats), so there is nothing to explain.</p>\n");
      return h.toString();
    }
    Explainer explainer = new Explainer(model, rate);
    int explained = Math.min(alerts.length, MAX_EXPLAINED);
    List<Explanation> ex = new ArrayList<>(explained);
    for (int i = 0; i < explained; i++) {
      ex.add(explainer.explain(Arrays.copyOfRange(raw, alerts[i] * d, (alerts[i] + 1) * d), 3));
    }
    List<String> names = model.preprocessor().featureNames();
    double[] firstCounts = new double[d];
    double[] top3Counts = new double[d];
    int joint = 0;
    for (Explanation e : ex) {
      joint += e.jointAnomaly() ? 1 : 0;
      for (int j = 0; j < e.features().size(); j++) {
        int i = names.indexOf(e.features().get(j).feature());
        top3Counts[i]++;
        if (j == 0) {
          firstCounts[i]++;
        }
      }
    }
    String caption = bars(model.name() + " v" + model.version(), names, firstCounts, top3Counts, explained,
        dir.resolve(FEATURE_BARS));
    h.append("<p>").append(alerts.length).append(" rows of ").append(Report.esc(source))
        .append(" are above the anomaly threshold; the ").append(explained == alerts.length ? "" : explained + " most anomalous ")
        .append("alerts are explained, ").append(joint).append(" of them joint anomalies (no single feature explains"
            + " them). For each feature, the <i>typical</i> value is the value that, all other features kept, makes"
            + " the row most likely under the model; the <i>contribution</i> is how many nats of surprise changing"
            + " that feature alone removes. Out-of-range features (outside the training rows' range) come first.")
        .append(model.featureStatistics().isPresent() ? "" : " This model stores no training ranges (model format"
            + " before 4): z-scores and range flags are unknown.")
        .append("</p>\n");
    h.append("<figure><img src=\"").append(FEATURE_BARS).append("\" alt=\"alerts by explaining feature\">")
        .append("<figcaption>").append(caption).append("</figcaption></figure>\n");
    h.append("<table>\n<tr><th>row</th><th>NLL</th><th>top features: value (typical; contribution; z)</th>"
        + "<th>joint pair</th></tr>\n");
    for (int i = 0; i < Math.min(TABLE_ROWS, explained); i++) {
      Explanation e = ex.get(i);
      h.append("<tr><td>").append(alerts[i] + 1).append("</td><td class=\"v\">").append(Report.esc(Report.num(nll[alerts[i]])))
          .append("</td><td class=\"v\">");
      if (!e.present()) {
        h.append("absent: ").append(Report.esc(e.absentReason().orElse("")));
      }
      for (FeatureContribution c : e.features()) {
        h.append(Report.esc(String.format(Locale.ROOT, "%s = %s (typical %s; +%s nats%s%s)", c.feature(),
            Report.num(c.value()), Report.num(c.typical()), Report.num(c.contribution()),
            Double.isFinite(c.zScore()) ? String.format(Locale.ROOT, "; z %.1f", c.zScore()) : "",
            c.outOfRange() ? "; OUT OF RANGE" : ""))).append("<br>");
      }
      h.append("</td><td>").append(e.pair().map(p -> Report.esc(p.first() + " + " + p.second() + " (+"
          + Report.num(p.contribution()) + " nats)")).orElse("-")).append("</td></tr>\n");
    }
    h.append("</table>\n<p class=\"muted\">Rows are numbered from 1 in the order of the data file. See"
        + " docs/explanations.md for the mathematics.</p>\n");
    return h.toString();
  }

  private static String bars(String title, List<String> names, double[] first, double[] top3, int explained, Path file)
      throws IOException {
    Integer[] order = new Integer[names.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> first[b] != first[a] ? Double.compare(first[b], first[a]) : Double.compare(top3[b], top3[a]));
    int m = Math.min(MAX_BARS, order.length);
    double max = 1;
    for (int j = 0; j < m; j++) {
      max = Math.max(max, top3[order[j]]);
    }
    Figure fig = new Figure(1, 1, 820, 460, title);
    Panel p = fig.plot(0, 0, -0.6, m - 0.4, 0, max * 1.3, "Which features explain the alerts",
        "feature (ordered by alerts it explains first)", "alerts").grid();
    Color light = new Color(190, 210, 235);
    Color dark = new Color(31, 119, 180);
    for (int j = 0; j < m; j++) {
      int i = order[j];
      p.bars(new double[] {j - 0.4, j + 0.4}, new double[] {top3[i]}, new Color[] {light});
      p.bars(new double[] {j - 0.4, j + 0.4}, new double[] {first[i]}, new Color[] {dark});
      p.label(j - 0.35, top3[i] + max * 0.03, Figure.fit(fig.image().createGraphics(), names.get(i), 700 / Math.max(1, m)),
          Color.BLACK, false);
    }
    p.legend(Panel.Corner.TOP_RIGHT, new Panel.Key("named first", dark, Panel.Style.BOX),
        new Panel.Key("among the top 3", light, Panel.Style.BOX));
    p.frame();
    fig.write(file);
    return "How often each feature explains an alert: dark, the alerts it explains best (first in their explanation);"
        + " light, the alerts that name it among their top 3 features; out of " + explained + " explained alerts"
        + (order.length > m ? ", the " + m + " features named first most often" : "") + ".";
  }
}
