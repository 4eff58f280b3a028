package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParameterLayout;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The JSON flow spec: round trips, defaults, rejection of bad specs, and the layout it determines. */
class FlowSpecTest {

  /** One fully specified spec per family, each with non-default values in every field it uses. */
  static Stream<FlowSpec> everyFamily() {
    return Stream.of(
        new FlowSpec("realnvp", 2, 3, new int[] {16, 8}, "relu", 2.5, null, null, true, "lu",
            new FlowSpec.BaseSpec("diagonal-normal", null), 7L),
        new FlowSpec("nice", 4, 2, new int[] {12}, "elu", null, null, null, false, "permute",
            FlowSpec.BaseSpec.mixture(3), 11L),
        new FlowSpec("maf", 1, 4, new int[] {5, 5}, "tanh", 1.5, null, null, false, "reverse", null, null),
        new FlowSpec("iaf", 3, 2, new int[] {9}, "elu", 2.0, null, null, true, "none",
            FlowSpec.BaseSpec.mixture(2), 3L),
        new FlowSpec("spline-coupling", 5, 3, new int[] {10, 10}, "tanh", null, 6, 3.5, true, "permute",
            null, 99L),
        new FlowSpec("spline-autoregressive", 3, 2, new int[] {8}, "relu", null, 12, 2.0, false, "lu",
            new FlowSpec.BaseSpec("diagonal-normal", null), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyFamily")
  void jsonRoundTripGivesAnEqualSpec(FlowSpec spec) {
    FlowSpec back = FlowSpec.fromJson(spec.toJson());
    assertEquals(spec, back);
    assertEquals(spec.toJson(), back.toJson());
    assertEquals(spec.family(), back.family());
    assertEquals(spec.dim(), back.dim());
    assertEquals(spec.layers(), back.layers());
    assertArrayEquals(spec.hidden(), back.hidden());
    assertEquals(spec.activation(), back.activation());
    assertEquals(spec.scaleBound(), back.scaleBound());
    assertEquals(spec.bins(), back.bins());
    assertEquals(spec.splineBound(), back.splineBound());
    assertEquals(spec.actNorm(), back.actNorm());
    assertEquals(spec.mixing(), back.mixing());
    assertEquals(spec.base(), back.base());
    assertEquals(spec.structureSeed(), back.structureSeed());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyFamily")
  void theSameSpecBuildsTheSameParameterLayout(FlowSpec spec) {
    List<ParameterLayout.Block> a = FlowFactory.structure(spec).layout().blocks();
    List<ParameterLayout.Block> b = FlowFactory.structure(FlowSpec.fromJson(spec.toJson())).layout().blocks();
    assertEquals(a, b, "block names, offsets, sizes and kinds");
    assertTrue(a.size() > 0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyFamily")
  void theSameSpecAndSeedGiveTheSameInitialParametersAndDensity(FlowSpec spec) {
    Flow a = FlowFactory.create(spec, 5);
    Flow b = FlowFactory.create(FlowSpec.fromJson(spec.toJson()), 5);
    assertArrayEquals(a.parameters(), b.parameters(), 0.0);
    double[] x = new double[4 * spec.dim()];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.cos(3 * i);
    }
    assertArrayEquals(a.logProb(x, 4), b.logProb(x, 4), 0.0);
  }

  @Test
  void aDifferentStructureSeedPermutesDifferentlyButKeepsTheLayout() {
    FlowSpec s1 = FlowSpec.fromJson("{\"family\":\"realnvp\",\"dim\":5,\"layers\":3,\"hidden\":[8],"
        + "\"mixing\":\"permute\",\"structureSeed\":1}");
    FlowSpec s2 = FlowSpec.fromJson("{\"family\":\"realnvp\",\"dim\":5,\"layers\":3,\"hidden\":[8],"
        + "\"mixing\":\"permute\",\"structureSeed\":2}");
    assertNotEquals(s1, s2);
    Flow f1 = FlowFactory.create(s1, 3);
    Flow f2 = FlowFactory.create(s2, 3);
    assertEquals(f1.layout().blocks(), f2.layout().blocks());
    double[] z = {0.1, 0.2, 0.3, 0.4, 0.5};
    // Identity-initialized layers: the flow is just its permutations, which differ between seeds.
    assertNotEquals(java.util.Arrays.toString(f1.fromLatent(z, 1)), java.util.Arrays.toString(f2.fromLatent(z, 1)));
  }

  @Test
  void missingFieldsTakeTheDocumentedDefaults() {
    FlowSpec s = FlowSpec.fromJson("{\"family\":\"maf\",\"dim\":3}");
    assertEquals(5, s.layers());
    assertArrayEquals(new int[] {64, 64}, s.hidden());
    assertEquals("relu", s.activation());
    assertEquals(3.0, s.scaleBound());
    assertNull(s.bins(), "no bins outside the spline families");
    assertNull(s.splineBound());
    assertEquals(false, s.actNorm());
    assertEquals("none", s.mixing());
    assertEquals(FlowSpec.BaseSpec.standardNormal(), s.base());
    assertEquals(0L, s.structureSeed());
    assertEquals(s, FlowSpec.of("maf", 3));
    assertEquals("realnvp", FlowSpec.fromJson("{\"dim\":2}").family(), "the default family");
  }

  @Test
  void splineFamiliesDefaultToEightBinsOnMinusFourToFour() {
    FlowSpec s = FlowSpec.fromJson("{\"family\":\"spline-coupling\",\"dim\":2}");
    assertEquals(8, s.bins());
    assertEquals(4.0, s.splineBound());
  }

  @Test
  void mixtureBaseDefaultsToEightComponents() {
    FlowSpec s = FlowSpec.fromJson("{\"dim\":2,\"base\":{\"type\":\"gaussian-mixture\"}}");
    assertEquals(8, s.base().components());
  }

  @Test
  void namesAreCaseInsensitive() {
    FlowSpec s = FlowSpec.fromJson("{\"family\":\"RealNVP\",\"dim\":2,\"activation\":\"ReLU\",\"mixing\":\"LU\","
        + "\"base\":{\"type\":\"Diagonal-Normal\"}}");
    assertEquals(FlowSpec.of("realnvp", 2).withActivation("relu").withMixing("lu")
        .withBase(new FlowSpec.BaseSpec("diagonal-normal", null)), s);
  }

  private static void assertRejected(String json, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FlowSpec.fromJson(json));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  @Test
  void unknownFieldIsRejectedNamingIt() {
    assertRejected("{\"family\":\"maf\",\"dim\":3,\"hiddn\":[8]}", "hiddn");
  }

  @Test
  void unknownFieldInTheBaseIsRejectedNamingIt() {
    assertRejected("{\"dim\":2,\"base\":{\"type\":\"gaussian-mixture\",\"k\":3}}", "\"k\"");
  }

  @Test
  void unknownFamilyIsRejectedNamingItAndTheChoices() {
    assertRejected("{\"family\":\"flowpp\",\"dim\":3}", "flowpp", "realnvp", "spline-autoregressive", "glow");
  }

  @ParameterizedTest
  @ValueSource(strings = {"realnvp", "nice", "spline-coupling"})
  void couplingFamiliesRejectOneDimension(String family) {
    assertRejected("{\"family\":\"" + family + "\",\"dim\":1}", "at least 2 dimensions");
  }

  @ParameterizedTest
  @ValueSource(strings = {"maf", "iaf", "spline-autoregressive"})
  void autoregressiveFamiliesAcceptOneDimension(String family) {
    Flow flow = FlowFactory.create(FlowSpec.fromJson("{\"family\":\"" + family + "\",\"dim\":1,\"hidden\":[4]}"), 1);
    assertEquals(1, flow.dim());
    assertTrue(Double.isFinite(flow.logProb(new double[] {0.5}, 1)[0]));
  }

  @Test
  void badValuesAreRejectedNamingTheField() {
    assertRejected("{\"dim\":0}", "dim");
    assertRejected("{\"dim\":2,\"layers\":0}", "layers");
    assertRejected("{\"dim\":2,\"hidden\":[8,0]}", "hidden");
    assertRejected("{\"dim\":2,\"mixing\":\"shuffle\"}", "shuffle");
    assertRejected("{\"dim\":2,\"base\":{\"type\":\"laplace\"}}", "laplace");
    assertRejected("{\"dim\":2,\"base\":{\"type\":\"gaussian-mixture\",\"components\":0}}", "components");
    assertRejected("{\"dim\":2", "JSON");
  }

  @Test
  void badElementSettingsAreRejectedWhenParsed() {
    assertRejected("{\"dim\":2,\"activation\":\"gelu\"}", "gelu");
    assertRejected("{\"family\":\"spline-coupling\",\"dim\":2,\"bins\":0}", "bins");
    assertRejected("{\"family\":\"spline-coupling\",\"dim\":2,\"splineBound\":-1}", "splineBound");
    assertRejected("{\"dim\":2,\"scaleBound\":0}", "scaleBound");
    assertRejected("{\"family\":\"spline-autoregressive\",\"dim\":2,\"bins\":5000}", "bins", "5000");
  }

  @Test
  void conditionerBoundRoundTripsSurvivesEveryWithAndIsRejectedWhereItDoesNotApply() {
    FlowSpec s = FlowSpec.of(FlowSpec.MAF, 3).withConditionerBound(4.0);
    assertEquals(4.0, FlowSpec.fromJson(s.toJson()).conditionerBoundOrZero(), 0.0);
    assertTrue(s.toJson().contains("\"conditionerBound\":4.0"), s.toJson());
    FlowSpec changed = s.withLayers(2).withHidden(8).withBase(FlowSpec.BaseSpec.mixture(3)).withActNorm(true)
        .withMixing("lu").withActivation("tanh");
    assertEquals(4.0, changed.conditionerBoundOrZero(), 0.0, "every with* keeps the bound");
    assertEquals(4.0, FlowSpec.of(FlowSpec.SPLINE_AUTOREGRESSIVE, 3).withConditionerBound(4.0).withSpline(6, 3.0)
        .conditionerBoundOrZero(), 0.0);
    // Absent and 0 are the same spec: no bound.
    assertNull(FlowSpec.of(FlowSpec.MAF, 3).conditionerBound());
    assertEquals(FlowSpec.of(FlowSpec.MAF, 3), FlowSpec.of(FlowSpec.MAF, 3).withConditionerBound(0));
    assertThrows(IllegalArgumentException.class, () -> FlowSpec.of(FlowSpec.MAF, 3).withConditionerBound(-1));
    assertThrows(IllegalArgumentException.class,
        () -> FlowSpec.of(FlowSpec.MAF, 3).withConditionerBound(Double.NaN));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FlowSpec.of(FlowSpec.REALNVP, 3).withConditionerBound(4.0));
    assertTrue(e.getMessage().contains("autoregressive"), e.getMessage());
    Flow f = FlowFactory.create(s.withLayers(2).withHidden(8, 8), 1);
    double[] x = {100, -100, 0.5};
    assertTrue(Double.isFinite(f.logProb(x, 1)[0]));
  }
}
