package io.flowguard.bench;

import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.core.train.TrainingResult;
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

/**
 * Single-thread training speed of the default model's architecture: milliseconds per optimizer step of
 * {@link Trainer#fit} (minibatch forward and backward, Adam, parameter averaging, and the validation
 * passes the trainer interleaves), the cost that bounds `flowguard train`, `evaluate` and retraining.
 *
 * <p>Each invocation builds a fresh flow (seed 42) and trains it for {@link #STEPS} steps on a fixed
 * synthetic table of {@link #ROWS} rows (a mixture of four Gaussians, generated once per trial), and is
 * declared as {@code STEPS} operations, so the score is time per step. The model is what AutoConfig
 * chooses from 1000 fitted rows on: MAF, 5 layers, two hidden layers of {@code 8 d} units within
 * 32..128, a base of 16 Gaussians, conditioner bound 6; batch 256, smoothing noise and averaging as
 * the default (early stopping is off: every invocation runs all its steps).
 *
 * <p>Run through {@code bench/run.sh TrainingBenchmark} (one thread for ND4J's BLAS, as there).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
@Threads(1)
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 3, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Djava.awt.headless=true"})
public class TrainingBenchmark {

  /** Optimizer steps per invocation. */
  public static final int STEPS = 50;

  /** Rows of the synthetic training table. */
  public static final int ROWS = 4096;

  /** Columns of the table (the flow's dimension). */
  @Param({"10", "36"})
  public int dim;

  private FlowSpec spec;
  private double[] x;
  private TrainingConfig config;

  static FlowSpec defaultSpec(int dim) {
    int width = Math.max(32, Math.min(128, 8 * dim));
    return FlowSpec.of(FlowSpec.MAF, dim).withLayers(5).withHidden(width, width)
        .withBase(FlowSpec.BaseSpec.mixture(16)).withConditionerBound(6.0);
  }

  @Setup
  public void setUp() {
    spec = defaultSpec(dim);
    Random rnd = new Random(7L);
    double[][] centers = new double[4][dim];
    for (double[] c : centers) {
      for (int i = 0; i < dim; i++) {
        c[i] = 2.0 * rnd.nextGaussian();
      }
    }
    x = new double[ROWS * dim];
    for (int r = 0; r < ROWS; r++) {
      double[] c = centers[rnd.nextInt(centers.length)];
      for (int i = 0; i < dim; i++) {
        x[r * dim + i] = c[i] + 0.5 * rnd.nextGaussian();
      }
    }
    config = TrainingConfig.defaults().withSteps(STEPS).withBatchSize(256).withEvalEvery(25)
        .withPatience(Integer.MAX_VALUE).withNoise(0.25).withAveraging(0.99).withGradClip(5.0).withSeed(42L);
  }

  @Benchmark
  @OperationsPerInvocation(STEPS)
  public TrainingResult fit() {
    Flow flow = FlowFactory.create(spec, 42L);
    TrainingResult result = new Trainer(config, TrainingListener.NONE).fit(flow, x, ROWS, true);
    if (result.steps() != STEPS) {
      throw new IllegalStateException("trained " + result.steps() + " steps, expected " + STEPS);
    }
    return result;
  }
}
