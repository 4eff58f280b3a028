package io.flowguard.core.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExplanationJsonTest {

  @Test
  void featuresPairAndNonFiniteNumbersAsNull() throws Exception {
    Explanation e = new Explanation(List.of(
        new FeatureContribution("pressure", 4.1, 1.2, 31.7, 3.9, true),
        new FeatureContribution("flow", Double.NaN, 0.5, Double.POSITIVE_INFINITY, Double.NaN, true)),
        Double.NaN, true, Optional.of(new PairContribution("pressure", "temp", 1.2, 20.5, 40.0)), true,
        Optional.empty());
    JsonNode n = new ObjectMapper().readTree(ExplanationJson.toJson(e).toString());
    assertEquals("pressure", n.at("/explanation/0/feature").asText());
    assertEquals(1.2, n.at("/explanation/0/typical").asDouble(), 0.0);
    assertEquals(31.7, n.at("/explanation/0/contribution").asDouble(), 0.0);
    assertTrue(n.at("/explanation/0/out_of_range").asBoolean());
    assertTrue(n.at("/explanation/1/value").isNull());
    assertTrue(n.at("/explanation/1/contribution").isNull());
    assertTrue(n.at("/explanation/1/z").isNull());
    assertTrue(n.get("explanation_joint").asBoolean());
    assertEquals("temp", n.at("/explanation_pair/features/1").asText());
    assertEquals(20.5, n.at("/explanation_pair/typical/1").asDouble(), 0.0);
    assertFalse(n.has("explanation_absent"));
  }

  @Test
  void anAbsentExplanationSaysWhy() {
    JsonNode n = ExplanationJson.toJson(Explanation.absent("the event has 3 values but the model expects 4",
        Double.NaN, false));
    assertEquals(0, n.get("explanation").size());
    assertEquals("the event has 3 values but the model expects 4", n.get("explanation_absent").asText());
  }
}
