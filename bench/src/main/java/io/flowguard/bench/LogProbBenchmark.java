package io.flowguard.bench;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.nn.Workspace;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Single-thread scoring throughput of {@link Flow#logProb(double[], int, double[], Workspace)}, the
 * allocation-free path the streaming scorer uses.
 *
 * <p>Every invocation scores exactly {@link #EVENTS} rows, as {@code EVENTS / batch} calls of
 * {@code batch} rows each, and is declared as {@code EVENTS} operations, so the JMH score (ops/s) is
 * directly <b>events per second</b> whatever the batch size.
 *
 * <p>The inputs are a fixed pool of standard-normal rows generated once per trial (fixed seed), so data
 * generation is not measured. The parameters are the factory's initialization plus small Gaussian
 * noise, so coupling and autoregressive layers are not a near-identity.
 *
 * <p>The forked JVMs inherit the environment: run through {@code bench/run.sh}, which exports
 * {@code OMP_NUM_THREADS=1} and {@code OPENBLAS_NUM_THREADS=1} (a JVM option cannot set them), so ND4J's
 * BLAS, used for products of 32768 multiply-adds or more, stays on one thread like the benchmark.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Threads(1)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Djava.awt.headless=true"})
public class LogProbBenchmark {

  /** Rows scored per benchmark invocation; a multiple of every batch size below. */
  public static final int EVENTS = 4096;

  /** Standard deviation of the noise added to the initial parameters. */
  static final double PARAM_NOISE = 0.05;

  @Param({"1", "64", "4096"})
  public int batch;

  @Param({"moons-realnvp", "maf-d10"})
  public String model;

  private Flow flow;
  private Workspace ws;
  /** EVENTS / batch input batches, each batch x dim, row-major. */
  private double[][] pool;
  private double[] out;

  static FlowSpec spec(String model) {
    switch (model) {
      case "moons-realnvp":
        return FlowSpec.of(FlowSpec.REALNVP, 2).withLayers(6).withHidden(64, 64).withActivation("relu");
      case "maf-d10":
        return FlowSpec.of(FlowSpec.MAF, 10).withLayers(5).withHidden(128, 128).withActivation("relu");
      default:
        throw new IllegalArgumentException("unknown model " + model);
    }
  }

  /** The model with its parameters moved a little away from the factory's initialization. */
  static Flow perturbedFlow(String model, long seed) {
    Flow f = FlowFactory.create(spec(model), seed);
    double[] theta = f.parameters();
    Random rnd = new Random(seed ^ 0x5DEECE66DL);
    for (int i = 0; i < theta.length; i++) {
      theta[i] += PARAM_NOISE * rnd.nextGaussian();
    }
    f.transform().sanitize(theta);
    return f;
  }

  @Setup
  public void setUp() {
    if (batch <= 0 || EVENTS % batch != 0) {
      throw new IllegalArgumentException("batch must divide " + EVENTS + ": " + batch);
    }
    flow = perturbedFlow(model, 42L);
    int dim = flow.dim();
    Random rnd = new Random(7L);
    pool = new double[EVENTS / batch][batch * dim];
    for (double[] xs : pool) {
      for (int i = 0; i < xs.length; i++) {
        xs[i] = rnd.nextGaussian();
      }
    }
    out = new double[batch];
    ws = new Workspace();
    // One pass sizes the workspace, and checks that the perturbed model scores to finite values.
    for (double[] xs : pool) {
      flow.logProb(xs, batch, out, ws);
      for (double v : out) {
        if (!Double.isFinite(v)) {
          throw new IllegalStateException(model + ": non-finite log-density " + v);
        }
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void logProb(Blackhole bh) {
    final double[][] p = pool;
    final int b = batch;
    final double[] o = out;
    for (double[] xs : p) {
      flow.logProb(xs, b, o, ws);
      bh.consume(o[0]);
    }
    bh.consume(o);
  }
}
