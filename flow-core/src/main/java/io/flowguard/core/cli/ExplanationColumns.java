package io.flowguard.core.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.explain.Explanation;
import io.flowguard.core.explain.FeatureContribution;
import io.flowguard.core.explain.PairContribution;
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

  /** The JSON fields of one explained row. */
  static void json(ObjectNode node, Explanation e) {
    ArrayNode arr = node.putArray("explanation");
    for (FeatureContribution c : e.features()) {
      ObjectNode o = arr.addObject();
      o.put("feature", c.feature());
      put(o, "value", c.value());
      put(o, "typical", c.typical());
      put(o, "contribution", c.contribution());
      put(o, "z", c.zScore());
      o.put("out_of_range", c.outOfRange());
    }
    node.put("explanation_joint", e.jointAnomaly());
    if (e.pair().isPresent()) {
      PairContribution p = e.pair().get();
      ObjectNode o = node.putObject("explanation_pair");
      o.putArray("features").add(p.first()).add(p.second());
      o.putArray("typical").add(p.firstTypical()).add(p.secondTypical());
      put(o, "contribution", p.contribution());
    }
    e.absentReason().ifPresent(r -> node.put("explanation_absent", r));
  }

  private static String note(Explanation e) {
    if (e.absentReason().isPresent()) {
      return "absent: " + e.absentReason().get();
    }
    return e.statisticsKnown() ? "" : "no training statistics in the model (format before v4): z and ranges unknown";
  }

  private static void put(ObjectNode o, String name, double v) {
    if (Double.isFinite(v)) {
      o.put(name, v);
    } else {
      o.putNull(name);
    }
  }

  private static String number(double v) {
    return Double.isFinite(v) ? Double.toString(v) : "";
  }
}
