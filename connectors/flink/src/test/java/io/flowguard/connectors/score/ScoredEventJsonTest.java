package io.flowguard.connectors.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ScoredEventJsonTest {

  static ScoredEvent sample(double logDensity) {
    return new ScoredEvent("pump-17", "default", "3", 1_700_000_000_000L, logDensity, -logDensity,
        0.0125, true,
        new TypicalityResult[] {
          new TypicalityResult(10, 0.42, 0.8, false),
          new TypicalityResult(100, Double.NaN, 0.25, false)
        },
        new String[] {"temp", "pressure"}, new double[] {21.3, 1.01});
  }

  @Test
  void golden() {
    String json = new String(ScoredEventJson.toJson(sample(-7.25)), StandardCharsets.UTF_8);
    assertEquals("{\"key\":\"pump-17\",\"model\":\"default\",\"modelVersion\":\"3\","
        + "\"ts\":1700000000000,\"logDensity\":-7.25,\"nll\":7.25,\"tailProbability\":0.0125,"
        + "\"anomaly\":true,\"typicality\":["
        + "{\"window\":10,\"statistic\":0.42,\"threshold\":0.8,\"alarm\":false},"
        + "{\"window\":100,\"statistic\":null,\"threshold\":0.25,\"alarm\":false}],"
        + "\"features\":{\"temp\":21.3,\"pressure\":1.01}}", json);
  }

  @Test
  void nonFiniteScoresAreNull() {
    String json = new String(ScoredEventJson.toJson(sample(Double.NEGATIVE_INFINITY)),
        StandardCharsets.UTF_8);
    assertTrue(json.contains("\"logDensity\":null,\"nll\":null,"), json);
  }

  /** The sample with one alarm flag per window. */
  static ScoredEvent withAlarms(boolean first, boolean second) {
    return new ScoredEvent("pump-17", "default", "3", 1_700_000_000_000L, -1, 1, 0.0125, false,
        new TypicalityResult[] {
          new TypicalityResult(10, 0.42, 0.8, first),
          new TypicalityResult(100, 0.3, 0.25, second)
        },
        new String[] {"temp", "pressure"}, new double[] {21.3, 1.01});
  }

  @Test
  void typicalityAlarmAndValidation() {
    assertFalse(sample(-1).typicalityAlarm());
    assertFalse(withAlarms(false, false).typicalityAlarm());
    // Any window's alarm counts, not only the first one's.
    assertTrue(withAlarms(true, false).typicalityAlarm());
    assertTrue(withAlarms(false, true).typicalityAlarm());
    assertThrows(IllegalArgumentException.class, () -> new ScoredEvent("k", "m", "1", 0, 0, 0, 1,
        false, new TypicalityResult[0], new String[] {"a"}, new double[0]));
    assertThrows(IllegalArgumentException.class, () -> new TypicalityResult(0, 0, 0, false));
  }

  @Test
  void anExplainedEventCarriesItsExplanationAndOthersNone() {
    ScoredEvent plain = new ScoredEvent("k", "m", "1", 5L, -2.0, 2.0, 0.5, false,
        new TypicalityResult[0], new String[] {"a"}, new double[] {1.0});
    org.junit.jupiter.api.Assertions.assertFalse(
        new String(ScoredEventJson.toJson(plain), java.nio.charset.StandardCharsets.UTF_8)
            .contains("explanation"));
    ScoredEvent explained = new ScoredEvent("k", "m", "1", 5L, -40.0, 40.0, 1e-9, true,
        new TypicalityResult[0], new String[] {"a"}, new double[] {4.1},
        new Attribution[] {new Attribution("a", 4.1, 1.2, 31.7, Double.NaN, true)},
        "joint anomaly: no single feature explains it");
    String json = new String(ScoredEventJson.toJson(explained), java.nio.charset.StandardCharsets.UTF_8);
    org.junit.jupiter.api.Assertions.assertTrue(json.endsWith(
        ",\"explanation\":[{\"feature\":\"a\",\"value\":4.1,\"typical\":1.2,\"contribution\":31.7,"
            + "\"z\":null,\"outOfRange\":true}],"
            + "\"explanationNote\":\"joint anomaly: no single feature explains it\"}"), json);
  }
}

