package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.explain.Explanation;
import io.flowguard.core.explain.FeatureContribution;
import java.util.ArrayList;
import java.util.List;

/**
 * The explanation columns of {@code score --explain K} (documented in docs/explanations.md). CSV: per rank
 * j = 1..K {@code explainJ_feature, explainJ_value, explainJ_typical, explainJ_contribution, explainJ_z,
 * explainJ_out_of_range}, then {@code explain_joint, explain_pair, explain_note}; a row that is not
 * explained leaves them empty. JSON lines: an {@code "explanation"} array of
 * {@code {feature, value, typical, contribution, z, out_of_range}}, {@code "explanation_joint"}, and
 * {@code "explanation_pair"} / {@code "explanation_absent"} where they apply. Numbers that are not finite
 * (an infinite contribution, an unknown z-score) are empty in CSV and null in JSON.
 */
final class ExplanationColumns {

  private ExplanationColumns() {}

  /** The CSV header columns for the top k. */
  static List<String> header(int k) {
    List<String> h = new ArrayList<>();
    for (int j = 1; j <= k; j++) {
      for (String f : List.of("feature", "value", "typical", "contribution", "z", "out_of_range")) {
        h.add("explain" + j + "_" + f);
      }
    }
    h.add("explain_joint");
    h.add("explain_pair");
    h.add("explain_note");
    return h;
  }

  /** The CSV cells (comma-separated, with a leading comma) of one row; {@code e} empty: not explained. */
  static void csv(StringBuilder line, java.util.Optional<Explanation> e, int k) {
    List<FeatureContribution> fs = e.map(Explanation::features).orElse(List.of());
    for (int j = 0; j < k; j++) {
      if (j < fs.size()) {
        FeatureContribution c = fs.get(j);
        line.append(',').append(ScoreCommand.csvField(c.feature())).append(',').append(number(c.value()))
            .append(',').append(number(c.typical())).append(',').append(number(c.contribution())).append(',')
            .append(number(c.zScore())).append(',').append(c.outOfRange() ? 1 : 0);
      } else {
        line.append(",,,,,,");
      }
    }
    if (e.isEmpty()) {
      line.append(",,,");
      return;
    }
    Explanation x = e.get();
    line.append(',').append(x.jointAnomaly() ? 1 : 0).append(',');
    x.pair().ifPresent(p -> line.append(ScoreCommand.csvField(p.first() + "+" + p.second())));
    line.append(',').append(ScoreCommand.csvField(note(x)));
  }

  /** The JSON fields of one explained row ({@link io.flowguard.core.explain.ExplanationJson}). */
  static void json(ObjectNode node, Explanation e) {
    io.flowguard.core.explain.ExplanationJson.putInto(node, e);
  }

  private static String note(Explanation e) {
    if (e.absentReason().isPresent()) {
      return "absent: " + e.absentReason().get();
    }
    return e.statisticsKnown() ? "" : "no training statistics in the model (format before v4): z and ranges unknown";
  }

  private static String number(double v) {
    return Double.isFinite(v) ? Double.toString(v) : "";
  }
}
