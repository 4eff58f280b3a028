package io.flowguard.core.transform;

import static io.flowguard.core.transform.TransformContract.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.nn.Workspace;
import org.junit.jupiter.api.Test;

/**
 * The tensor transforms of the Glow family held to {@link TransformContract}: round trips, log-dets
 * against the numerical Jacobian in both directions, gradients (inputs and every parameter, through the
 * hand-written convolution backward pass) against finite differences in both directions. Shapes are tiny
 * (at most 4 x 3 x 3 = 36 values) so a full Jacobian is cheap. Tolerances: round trip 1e-9 (a few
 * well-conditioned affine maps per value); the rest {@link TransformContract}'s. Smooth activations only
 * (finite differences across a ReLU kink are not derivatives).
 */
class GlowTransformsTest {

  private static final TensorShape SHAPE = new TensorShape(4, 3, 3);

  private static ConvAffineCoupling coupling(ParameterLayout layout) {
    return new ConvAffineCoupling(layout, "c", SHAPE, new int[] {5, 3}, Activation.TANH, 3.0);
  }

  @Test
  void convCouplingRoundTrips() {
    ParameterLayout layout = new ParameterLayout();
    ConvAffineCoupling t = coupling(layout);
    assertRoundTrip(t, randomParameters(t, layout, 1, 0.4), randomBatch(8, SHAPE.size(), 2, 1.5), 8, 1e-9);
  }

  @Test
  void convCouplingLogDetMatchesNumericalJacobianBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    ConvAffineCoupling t = coupling(layout);
    assertLogDetMatchesJacobian(t, randomParameters(t, layout, 3, 0.4), randomBatch(3, SHAPE.size(), 4, 1.0), 3);
  }

  @Test
  void convCouplingGradientsMatchFiniteDifferencesBothDirections() {
    ParameterLayout layout = new ParameterLayout();
    ConvAffineCoupling t = coupling(layout);
    double[] theta = randomParameters(t, layout, 5, 0.4);
    double[] x = randomBatch(3, SHAPE.size(), 6, 1.0);
    // maxParams above the count (~200): every weight of the three convolutions is checked.
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 3, false, 1000);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 3, true, 1000);
  }

  @Test
  void convCouplingLeavesThePassingChannelsUnchanged() {
    ParameterLayout layout = new ParameterLayout();
    ConvAffineCoupling t = coupling(layout);
    double[] theta = randomParameters(t, layout, 7, 0.4);
    double[] x = randomBatch(2, SHAPE.size(), 8, 1.0);
    double[] z = new double[x.length];
    t.inverse(theta, x, z, new double[2], 2, new Workspace());
    int passing = 2 * SHAPE.pixels();
    for (int r = 0; r < 2; r++) {
      for (int i = 0; i < passing; i++) {
        assertEquals(x[r * SHAPE.size() + i], z[r * SHAPE.size() + i], 0.0);
      }
    }
  }

  @Test
  void freshlyInitializedConvCouplingIsTheIdentity() {
    ParameterLayout layout = new ParameterLayout();
    ConvAffineCoupling t = coupling(layout);
    double[] theta = new double[layout.size()];
    t.initialize(theta, new java.util.SplittableRandom(1));
    double[] x = randomBatch(2, SHAPE.size(), 9, 1.0);
    double[] z = new double[x.length];
    double[] ld = new double[2];
    t.inverse(theta, x, z, ld, 2, new Workspace());
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], z[i], 0.0);
    }
    assertEquals(0.0, ld[0], 0.0);
  }

  @Test
  void pixelwiseConv1x1SatisfiesTheContract() {
    TensorShape s = new TensorShape(3, 2, 2);
    ParameterLayout layout = new ParameterLayout();
    PixelwiseTransform t = new PixelwiseTransform(new LuLinear(layout, "lu", 3), s);
    double[] theta = randomParameters(t, layout, 11, 0.5);
    double[] x = randomBatch(4, s.size(), 12, 1.0);
    assertRoundTrip(t, theta, x, 4, 1e-9);
    assertLogDetMatchesJacobian(t, theta, x, 4);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 4, false, 100);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 4, true, 100);
  }

  @Test
  void pixelwiseActNormSatisfiesTheContractAndInitializesPerChannel() {
    TensorShape s = new TensorShape(2, 2, 3);
    ParameterLayout layout = new ParameterLayout();
    PixelwiseTransform t = new PixelwiseTransform(new ActNorm(layout, "an", 2), s);
    double[] theta = randomParameters(t, layout, 13, 0.5);
    double[] x = randomBatch(4, s.size(), 14, 1.0);
    assertRoundTrip(t, theta, x, 4, 1e-9);
    assertLogDetMatchesJacobian(t, theta, x, 4);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 4, false, 100);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 4, true, 100);

    // Data initialization: every channel's values over all pixels and rows come out at mean 0, variance 1.
    double[] fresh = new double[layout.size()];
    t.initialize(fresh, new java.util.SplittableRandom(1));
    double[] data = randomBatch(50, s.size(), 15, 1.0);
    for (int i = 0; i < data.length; i++) {
      data[i] = data[i] * (1 + (i % s.size()) / s.pixels()) + 3.0;
    }
    t.initializeFromData(fresh, data, 50);
    double[] z = new double[data.length];
    t.inverse(fresh, data, z, new double[50], 50, new Workspace());
    for (int c = 0; c < 2; c++) {
      double sum = 0;
      double sq = 0;
      int count = 0;
      for (int r = 0; r < 50; r++) {
        for (int p = 0; p < s.pixels(); p++) {
          double v = z[r * s.size() + c * s.pixels() + p];
          sum += v;
          sq += v * v;
          count++;
        }
      }
      assertEquals(0.0, sum / count, 1e-12, "channel " + c + " mean");
      assertEquals(1.0, sq / count, 1e-9, "channel " + c + " variance");
    }
  }

  @Test
  void prefixTransformSatisfiesTheContractAndPassesTheTailThrough() {
    TensorShape s = new TensorShape(2, 3, 3);
    ParameterLayout layout = new ParameterLayout();
    PrefixTransform t = new PrefixTransform(
        new ConvAffineCoupling(layout, "c", s, new int[] {4}, Activation.TANH, 3.0), 25);
    double[] theta = randomParameters(t, layout, 17, 0.4);
    double[] x = randomBatch(3, 25, 18, 1.0);
    assertRoundTrip(t, theta, x, 3, 1e-9);
    assertLogDetMatchesJacobian(t, theta, x, 3);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 3, false, 1000);
    assertGradientsMatchFiniteDifferences(t, layout, theta, x, 3, true, 1000);
    double[] z = new double[x.length];
    t.inverse(theta, x, z, new double[3], 3, new Workspace());
    for (int r = 0; r < 3; r++) {
      for (int i = 18; i < 25; i++) {
        assertEquals(x[r * 25 + i], z[r * 25 + i], 0.0);
      }
    }
  }

  @Test
  void squeezeMovesEachTwoByTwoBlockIntoFourChannels() {
    TensorShape s = new TensorShape(2, 4, 6);
    Permutation sq = Squeeze.of(s);
    double[] x = new double[s.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = i;
    }
    double[] z = new double[x.length];
    double[] ld = new double[1];
    sq.inverse(new double[0], x, z, ld, 1, new Workspace());
    TensorShape out = s.squeezed();
    assertEquals(new TensorShape(8, 2, 3), out);
    for (int c = 0; c < 2; c++) {
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
          for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
              assertEquals(x[s.index(c, 2 * i + dy, 2 * j + dx)], z[out.index(4 * c + 2 * dy + dx, i, j)], 0.0);
            }
          }
        }
      }
    }
    assertEquals(0.0, ld[0], 0.0);
    assertRoundTrip(sq, new double[0], randomBatch(3, s.size(), 19, 1.0), 3, 0.0);
  }

  @Test
  void oddSpatialSizeCannotBeSqueezed() {
    assertThrows(IllegalArgumentException.class, () -> new TensorShape(1, 3, 4).squeezed());
  }
}
