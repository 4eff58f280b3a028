package io.flowguard.core.flow;

import io.flowguard.core.transform.TransformContract;
import java.util.SplittableRandom;

/** Helpers shared by the flow-level tests. */
public final class FlowTesting {

  private FlowTesting() {}

  /**
   * A flow built from {@code spec} whose every trainable parameter (base included) is moved off its
   * initial value by {@code scale} standard normals, then sanitized, so no layer is the identity and the
   * base is not standard. STATE (ActNorm's flag) is left as initialized.
   */
  public static Flow randomFlow(FlowSpec spec, long seed, double scale) {
    Flow flow = FlowFactory.create(spec, seed);
    double[] theta = flow.parameters();
    boolean[] trainable = flow.layout().trainableMask();
    SplittableRandom rng = new SplittableRandom(seed * 31 + 7);
    for (int i = 0; i < theta.length; i++) {
      if (trainable[i]) {
        theta[i] += scale * TransformContract.gaussian(rng);
      }
    }
    flow.transform().sanitize(theta);
    return flow;
  }
}
