package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.transform.TensorShape;
import io.flowguard.core.transform.TransformContract;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The whole Glow family on a tiny 1 x 4 x 4 event with two levels (squeeze, steps, split, squeeze,
 * steps), random parameters: the flow contract of {@link FlowContractTest} (log-det against the numerical
 * Jacobian, round trip, mean-NLL gradient against finite differences for every parameter), plus spec
 * validation. Tolerances as in {@link FlowContractTest}.
 */
class GlowFlowTest {

  private static final TensorShape SHAPE = new TensorShape(1, 4, 4);

  private static FlowSpec spec() {
    return FlowSpec.glow(SHAPE, 2, 2, 4).withActivation("tanh");
  }

  private static Flow flow() {
    return FlowTesting.randomFlow(spec(), 21, 0.3);
  }

  @Test
  void wholeGlowLogDetMatchesNumericalJacobianInBothDirections() {
    Flow f = flow();
    TransformContract.assertLogDetMatchesJacobian(f.transform(), f.parameters(),
        TransformContract.randomBatch(3, 16, 1, 1.0), 3);
  }

  @Test
  void wholeGlowRoundTrips() {
    Flow f = flow();
    TransformContract.assertRoundTrip(f.transform(), f.parameters(), TransformContract.randomBatch(16, 16, 2, 1.5), 16,
        1e-9);
  }

  @Test
  void meanNllGradientMatchesFiniteDifferencesForEveryParameter() {
    Flow f = flow();
    double[] theta = f.parameters();
    int n = 5;
    double[] x = TransformContract.randomBatch(n, 16, 3, 1.0);
    double[] grad = new double[theta.length];
    double nll = f.meanNllAndGradient(x, n, grad);
    assertEquals(f.meanNll(x, n), nll, 1e-10 * Math.abs(nll));
    boolean[] trainable = f.layout().trainableMask();
    Set<String> blocks = new HashSet<>();
    double h = 1e-5;
    for (ParameterLayout.Block b : f.layout().blocks()) {
      for (int i = b.offset(); i < b.offset() + b.size(); i++) {
        if (!trainable[i]) {
          continue;
        }
        double saved = theta[i];
        theta[i] = saved + h;
        double plus = f.meanNll(x, n);
        theta[i] = saved - h;
        double minus = f.meanNll(x, n);
        theta[i] = saved;
        double num = (plus - minus) / (2 * h);
        assertEquals(num, grad[i], Math.max(1e-8, 1e-5 * Math.max(Math.abs(num), Math.abs(grad[i]))),
            "dNLL/d" + b.name() + "[" + (i - b.offset()) + "]");
        blocks.add(b.name().replaceAll("level\\d+\\.step\\d+\\.", ""));
      }
    }
    for (String kind : new String[] {"actnorm.loc", "actnorm.logScale", "conv1x1.lower", "conv1x1.logDiag",
        "coupling.net.conv0.weight", "coupling.net.conv1.weight"}) {
      assertTrue(blocks.contains(kind), "checked " + kind + " among " + blocks);
    }
  }

  @Test
  void factoredOutHalfSkipsTheSecondLevel() {
    // After level 0 (squeeze to 4 x 2 x 2, steps), channels 2..3 (values 8..15) are factored out: changing
    // the second level's parameters must leave them untouched.
    Flow f = flow();
    double[] x = TransformContract.randomBatch(2, 16, 4, 1.0);
    double[] z0 = f.toLatent(x, 2);
    double[] theta = f.parameters();
    for (ParameterLayout.Block b : f.layout().blocks()) {
      if (b.name().startsWith("level1.") && b.kind() != io.flowguard.core.nn.ParamKind.STATE) {
        for (int i = b.offset(); i < b.offset() + b.size(); i++) {
          theta[i] += 0.1;
        }
      }
    }
    double[] z1 = f.toLatent(x, 2);
    int changed = 0;
    for (int r = 0; r < 2; r++) {
      for (int i = 0; i < 16; i++) {
        if (i >= 8) {
          assertEquals(z0[r * 16 + i], z1[r * 16 + i], 0.0, "factored-out value " + i);
        } else if (z0[r * 16 + i] != z1[r * 16 + i]) {
          changed++;
        }
      }
    }
    assertTrue(changed > 0, "the second level acts on the continuing half");
  }

  @Test
  void specRoundTripsThroughJsonAndRejectsBadShapes() {
    FlowSpec s = spec();
    assertEquals(s, FlowSpec.fromJson(s.toJson()));
    assertTrue(s.toJson().contains("\"shape\":[1,4,4]"), s.toJson());
    IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class,
        () -> FlowSpec.fromJson("{\"family\":\"glow\",\"dim\":15,\"shape\":[1,4,4]}"));
    assertTrue(wrongSize.getMessage().contains("dim"), wrongSize.getMessage());
    IllegalArgumentException tooDeep = assertThrows(IllegalArgumentException.class,
        () -> FlowSpec.fromJson("{\"family\":\"glow\",\"dim\":16,\"shape\":[1,4,4],\"levels\":3}"));
    assertTrue(tooDeep.getMessage().contains("multiples of 8"), tooDeep.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FlowSpec.fromJson("{\"family\":\"glow\",\"dim\":16}"));
    assertThrows(IllegalArgumentException.class,
        () -> FlowSpec.fromJson("{\"family\":\"maf\",\"dim\":16,\"shape\":[1,4,4]}"));
  }

  @Test
  void olderFamiliesSerializeWithoutTheNewFields() {
    String json = FlowSpec.of(FlowSpec.MAF, 4).toJson();
    assertTrue(!json.contains("shape") && !json.contains("levels"), json);
  }
}
