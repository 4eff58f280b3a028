package io.flowguard.core.flow;

import io.flowguard.core.distribution.BaseDistribution;
import io.flowguard.core.distribution.ConditionalNormal;
import io.flowguard.core.distribution.DiagonalNormal;
import io.flowguard.core.distribution.GaussianMixture;
import io.flowguard.core.distribution.StandardNormal;
import io.flowguard.core.nn.Activation;
import io.flowguard.core.nn.ParameterLayout;
import io.flowguard.core.transform.ActNorm;
import io.flowguard.core.transform.AffineElement;
import io.flowguard.core.transform.CompositeTransform;
import io.flowguard.core.transform.ConvAffineCoupling;
import io.flowguard.core.transform.PixelwiseTransform;
import io.flowguard.core.transform.PrefixTransform;
import io.flowguard.core.transform.Squeeze;
import io.flowguard.core.transform.TensorShape;
import io.flowguard.core.transform.CouplingTransform;
import io.flowguard.core.transform.ElementwiseBijection;
import io.flowguard.core.transform.InverseTransform;
import io.flowguard.core.transform.LuLinear;
import io.flowguard.core.transform.MaskedAutoregressive;
import io.flowguard.core.transform.Permutation;
import io.flowguard.core.transform.RationalQuadraticSpline;
import io.flowguard.core.transform.ShiftElement;
import io.flowguard.core.transform.Transform;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds a {@link Flow} from a {@link FlowSpec}: the structure is a pure function of the spec. A spec's
 * {@code context} goes to every coupling and autoregressive layer (and to a conditional-normal base);
 * ActNorm and the mixing layers do not read it.
 */
public final class FlowFactory {

  private FlowFactory() {}

  /** Builds the flow and initializes its parameters from {@code seed} (identity transform). */
  public static Flow create(FlowSpec spec, long seed) {
    Flow flow = structure(spec);
    flow.transform().initialize(flow.parameters(), new SplittableRandom(seed));
    flow.base().initialize(flow.parameters(), new SplittableRandom(seed + 1));
    return flow;
  }

  /** Builds the structure with all parameters zero (for loading parameters from a file). */
  public static Flow structure(FlowSpec spec) {
    ParameterLayout layout = new ParameterLayout();
    int d = spec.dim();
    Activation act = Activation.parse(spec.activation());
    List<Transform> layers = new ArrayList<>();
    if (spec.family().equals(FlowSpec.GLOW)) {
      glowLayers(spec, layout, act, layers);
    }
    for (int l = 0; l < (spec.family().equals(FlowSpec.GLOW) ? 0 : spec.layers()); l++) {
      String name = "layer" + l;
      if (spec.actNorm()) {
        layers.add(new ActNorm(layout, name + ".actnorm", d));
      }
      layers.add(layer(spec, layout, name, l, act));
      if (l < spec.layers() - 1) {
        switch (spec.mixing()) {
          case "reverse" -> layers.add(Permutation.reverse(d));
          case "permute" -> layers.add(Permutation.random(d, spec.structureSeed() * 7919 + l));
          case "lu" -> layers.add(new LuLinear(layout, name + ".lu", d));
          default -> { }
        }
      }
    }
    Transform transform = new CompositeTransform(layers);
    BaseDistribution base = switch (spec.base().type()) {
      case "standard-normal" -> new StandardNormal(d);
      case "diagonal-normal" -> new DiagonalNormal(layout, "base", d);
      case "gaussian-mixture" -> new GaussianMixture(layout, "base", d, spec.base().components());
      case FlowSpec.BaseSpec.CONDITIONAL_NORMAL -> new ConditionalNormal(layout, "base", d, spec.contextDim());
      default -> throw new IllegalArgumentException("unknown base " + spec.base().type());
    };
    return new Flow(spec, transform, base, layout, new double[layout.size()]);
  }

  /**
   * Glow's multi-scale architecture, in density order: per level a squeeze, then {@code layers} steps of
   * (per-channel ActNorm, invertible 1 x 1 convolution, affine coupling with a convolutional
   * conditioner); after every level but the last, the second half of the channels is factored out. In
   * channel-major order the continuing channels are a prefix of the event, so the layers of a level act
   * on a prefix ({@link PrefixTransform}) and the factored-out values stay as they are down to the base.
   */
  private static void glowLayers(FlowSpec spec, ParameterLayout layout, Activation act, List<Transform> out) {
    int d = spec.dim();
    TensorShape shape = spec.tensorShape().orElseThrow();
    for (int level = 0; level < spec.levels(); level++) {
      out.add(prefix(Squeeze.of(shape), d));
      shape = shape.squeezed();
      int c = shape.channels();
      for (int k = 0; k < spec.layers(); k++) {
        String name = "level" + level + ".step" + k;
        out.add(prefix(new PixelwiseTransform(new ActNorm(layout, name + ".actnorm", c), shape), d));
        out.add(prefix(new PixelwiseTransform(new LuLinear(layout, name + ".conv1x1", c), shape), d));
        out.add(prefix(new ConvAffineCoupling(layout, name + ".coupling", shape, spec.hidden(), act,
            spec.scaleBound()), d));
      }
      if (level < spec.levels() - 1) {
        shape = shape.withChannels(c / 2);
      }
    }
  }

  private static Transform prefix(Transform t, int d) {
    return t.dim() == d ? t : new PrefixTransform(t, d);
  }

  /** Autoregressive layers alternate the natural and the reversed ordering. */
  private static int[] order(int d, int layer) {
    return layer % 2 == 0 ? MaskedAutoregressive.naturalOrder(d) : MaskedAutoregressive.reversedOrder(d);
  }

  private static Transform layer(FlowSpec spec, ParameterLayout layout, String name, int l, Activation act) {
    int d = spec.dim();
    int m = spec.contextDim();
    ElementwiseBijection affine = new AffineElement(spec.scaleBound());
    return switch (spec.family()) {
      case FlowSpec.REALNVP -> new CouplingTransform(layout, name + ".coupling",
          CouplingTransform.alternatingMask(d, l), spec.hidden(), act, affine, m);
      case FlowSpec.NICE -> new CouplingTransform(layout, name + ".coupling",
          CouplingTransform.alternatingMask(d, l), spec.hidden(), act, new ShiftElement(), m);
      case FlowSpec.MAF -> new MaskedAutoregressive(layout, name + ".maf", order(d, l), spec.hidden(), act, affine,
          spec.conditionerBoundOrZero(), m);
      case FlowSpec.IAF -> new InverseTransform(
          new MaskedAutoregressive(layout, name + ".iaf", order(d, l), spec.hidden(), act, affine,
              spec.conditionerBoundOrZero(), m));
      case FlowSpec.SPLINE_COUPLING -> new CouplingTransform(layout, name + ".coupling",
          CouplingTransform.alternatingMask(d, l), spec.hidden(), act,
          new RationalQuadraticSpline(spec.bins(), spec.splineBound()), m);
      case FlowSpec.SPLINE_AUTOREGRESSIVE -> new MaskedAutoregressive(layout, name + ".made", order(d, l),
          spec.hidden(), act, new RationalQuadraticSpline(spec.bins(), spec.splineBound()),
          spec.conditionerBoundOrZero(), m);
      default -> throw new IllegalArgumentException("unknown flow family " + spec.family());
    };
  }
}
