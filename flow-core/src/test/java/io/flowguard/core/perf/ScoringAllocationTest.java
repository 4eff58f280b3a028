package io.flowguard.core.perf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.nn.Workspace;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scoring fast path {@link Flow#logProb(double[], int, double[], Workspace)} allocates nothing once
 * its workspace has seen the batch size, for every family, base, mixing layer and ActNorm, at batch 1
 * and 64 (batches of 256 rows and more may use BLAS, whose JNI wrappers allocate); so does the
 * conditional fast path {@link Flow#logProb(double[], double[], int, double[], Workspace)} of every family
 * that takes a context, with the conditional-normal base among them.
 *
 * <p>Measured with the thread's allocated-bytes counter over rounds of 1000 calls after 50 warm-up calls,
 * the first round under the threshold counting (at most 20 rounds: the SIMD products allocate until the
 * JIT has compiled them).
 * Tolerance: under 16 bytes per call on average, less than the smallest object, so an allocation on
 * every call fails; the expected value is 0, the slack only absorbs
 * a stray allocation outside the measured code (the counter read itself, a JIT deoptimization).
 */
class ScoringAllocationTest {

  private static final int WARMUP = 50;
  private static final int CALLS = 1000;
  private static final double MAX_BYTES_PER_CALL = 16;
  /** Measured rounds of CALLS calls at most, the first that allocates under the threshold counting. */
  private static final int MAX_ROUNDS = 20;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static List<FlowSpec> specs() {
    List<FlowSpec> specs = new ArrayList<>();
    String[] families = {FlowSpec.REALNVP, FlowSpec.NICE, FlowSpec.MAF, FlowSpec.IAF, FlowSpec.SPLINE_COUPLING,
        FlowSpec.SPLINE_AUTOREGRESSIVE};
    FlowSpec.BaseSpec[] bases = {FlowSpec.BaseSpec.standardNormal(), new FlowSpec.BaseSpec("diagonal-normal", null),
        FlowSpec.BaseSpec.mixture(4)};
    for (String family : families) {
      for (FlowSpec.BaseSpec base : bases) {
        specs.add(FlowSpec.of(family, 3).withLayers(3).withHidden(32, 32).withBase(base));
      }
      specs.add(FlowSpec.of(family, 2).withLayers(2).withHidden(64, 64).withActNorm(true).withMixing("lu"));
      specs.add(FlowSpec.of(family, 4).withLayers(2).withHidden(20).withActivation("tanh").withMixing("permute"));
      specs.add(FlowSpec.of(family, 5).withLayers(2).withHidden(130).withActivation("elu").withMixing("reverse"));
    }
    specs.add(FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(6).withHidden(64, 64).withActivation("relu"));
    specs.add(FlowSpec.of(FlowSpec.MAF, 10).withLayers(5).withHidden(128, 128));
    specs.add(FlowSpec.glow(new io.flowguard.core.transform.TensorShape(1, 4, 4), 2, 2, 8, 8));
    specs.add(FlowSpec.glow(new io.flowguard.core.transform.TensorShape(2, 4, 8), 1, 2, 16));
    return specs;
  }

  private static Flow flow(FlowSpec spec) {
    Flow f = FlowFactory.create(spec, 42L);
    double[] theta = f.parameters();
    Random rnd = new Random(7);
    for (int i = 0; i < theta.length; i++) {
      theta[i] += 0.05 * rnd.nextGaussian();
    }
    f.setParameters(theta.clone());
    return f;
  }

  private static double bytesPerCall(Flow flow, int batch) {
    Random rnd = new Random(11);
    double[] x = new double[batch * flow.dim()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextGaussian();
    }
    double[] c = new double[batch * flow.contextDim()];
    for (int i = 0; i < c.length; i++) {
      c[i] = rnd.nextGaussian();
    }
    boolean conditional = flow.contextDim() > 0;
    double[] out = new double[batch];
    Workspace ws = new Workspace();
    for (int i = 0; i < WARMUP; i++) {
      if (conditional) {
        flow.logProb(x, c, batch, out, ws);
      } else {
        flow.logProb(x, batch, out, ws);
      }
    }
    // Measured rounds until one allocates (almost) nothing, at most MAX_ROUNDS: the SIMD products (Vector
    // API) allocate their vectors until C2 has compiled them, which on a loaded machine can take longer
    // than the warm-up; a path that allocates on every call never gets below the threshold.
    double perCall = Double.NaN;
    for (int round = 0; round < MAX_ROUNDS; round++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      if (conditional) {
        for (int i = 0; i < CALLS; i++) {
          flow.logProb(x, c, batch, out, ws);
        }
      } else {
        for (int i = 0; i < CALLS; i++) {
          flow.logProb(x, batch, out, ws);
        }
      }
      long after = THREADS.getCurrentThreadAllocatedBytes();
      perCall = (after - before) / (double) CALLS;
      if (perCall < MAX_BYTES_PER_CALL) {
        break;
      }
    }
    for (double v : out) {
      assertTrue(Double.isFinite(v), () -> "non-finite score " + v);
    }
    return perCall;
  }

  private static List<FlowSpec> conditionalSpecs() {
    List<FlowSpec> specs = new ArrayList<>();
    String[] families = {FlowSpec.REALNVP, FlowSpec.NICE, FlowSpec.MAF, FlowSpec.IAF, FlowSpec.SPLINE_COUPLING,
        FlowSpec.SPLINE_AUTOREGRESSIVE};
    for (String family : families) {
      specs.add(FlowSpec.of(family, 3).withLayers(3).withHidden(32, 32).withContext(1));
      specs.add(FlowSpec.of(family, 2).withLayers(2).withHidden(64, 64).withActNorm(true).withMixing("lu")
          .withContext(3).withBase(FlowSpec.BaseSpec.conditionalNormal()));
    }
    specs.add(FlowSpec.of(FlowSpec.MAF, 1).withLayers(3).withHidden(32, 32).withContext(4)
        .withConditionerBound(6.0));
    return specs;
  }

  @Test
  void scoringAllocatesNothingAfterWarmUp() {
    assertNoAllocation(specs());
  }

  @Test
  void conditionalScoringAllocatesNothingAfterWarmUp() {
    assertNoAllocation(conditionalSpecs());
  }

  private static void assertNoAllocation(List<FlowSpec> specs) {
    assertTrue(THREADS.isThreadAllocatedMemorySupported(), "allocation counter unavailable");
    THREADS.setThreadAllocatedMemoryEnabled(true);
    StringBuilder failures = new StringBuilder();
    for (FlowSpec spec : specs) {
      Flow flow = flow(spec);
      for (int batch : new int[] {1, 64}) {
        double b = bytesPerCall(flow, batch);
        if (b >= MAX_BYTES_PER_CALL) {
          failures.append(String.format("%n  %.1f B/call at batch %d: %s", b, batch, spec.toJson()));
        }
      }
    }
    assertTrue(failures.length() == 0, "allocating scoring path:" + failures);
  }
}
