package io.flowguard.core.explain;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON form of an {@link Explanation}, shared by {@code score --explain} and stream outputs, so an
 * alert reads the same everywhere:
 *
 * <pre>
 * "explanation": [{"feature": "pressure", "value": 4.1, "typical": 1.2, "contribution": 31.7, "z": 3.9,
 *                  "out_of_range": true}, ...],
 * "explanation_joint": false,
 * "explanation_pair": {"features": ["a", "b"], "typical": [0.3, -0.2], "contribution": 12.5},   (joint anomalies)
 * "explanation_absent": "why"                                                                 (when absent)
 * </pre>
 *
 * Numbers that are not finite (an infinite contribution, an unknown z-score) are written as {@code null}:
 * JSON has no NaN or infinity.
 */
public final class ExplanationJson {

  private ExplanationJson() {}

  /** Adds the explanation's fields to {@code node}. */
  public static void putInto(ObjectNode node, Explanation e) {
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
      ArrayNode typical = o.putArray("typical");
      addMaybe(typical, p.firstTypical());
      addMaybe(typical, p.secondTypical());
      put(o, "contribution", p.contribution());
    }
    e.absentReason().ifPresent(r -> node.put("explanation_absent", r));
  }

  /** The explanation's fields as a new object. */
  public static ObjectNode toJson(Explanation e) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    putInto(node, e);
    return node;
  }

  private static void put(ObjectNode o, String name, double v) {
    if (Double.isFinite(v)) {
      o.put(name, v);
    } else {
      o.putNull(name);
    }
  }

  private static void addMaybe(ArrayNode a, double v) {
    if (Double.isFinite(v)) {
      a.add(v);
    } else {
      a.addNull();
    }
  }
}
