import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.nn.JavaMatrixBackend;
import io.flowguard.core.nn.Linalg;
import io.flowguard.core.nn.MatrixBackend;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * TrainingBenchmark's step (default model's architecture, batch 256, 50 steps per round) timed in THREAD
 * CPU time, alternating the pure-Java and ND4J backends round by round in one JVM: on a shared, loaded
 * machine wall time is mostly waiting, CPU time is what the step costs. Needs bench/target/benchmarks.jar
 * (both backends) on the class path, OMP_NUM_THREADS=1:
 *
 *   OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar bench/experiments/BackendCpuTime.java 10 36
 */
public final class BackendCpuTime {

  public static void main(String[] args) throws Exception {
    MatrixBackend pureJava = new JavaMatrixBackend();
    MatrixBackend nd4j = (MatrixBackend) Class.forName("io.flowguard.nd4j.Nd4jMatrixBackend")
        .getDeclaredConstructor().newInstance();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    int rounds = 6;
    for (String a : args) {
      int dim = Integer.parseInt(a);
      int width = Math.max(32, Math.min(128, 8 * dim));
      FlowSpec spec = FlowSpec.of(FlowSpec.MAF, dim).withLayers(5).withHidden(width, width)
          .withBase(FlowSpec.BaseSpec.mixture(16)).withConditionerBound(6.0);
      Random rnd = new Random(7L);
      double[][] centers = new double[4][dim];
      for (double[] c : centers) {
        for (int i = 0; i < dim; i++) {
          c[i] = 2.0 * rnd.nextGaussian();
        }
      }
      int rows = 4096;
      double[] x = new double[rows * dim];
      for (int r = 0; r < rows; r++) {
        double[] c = centers[rnd.nextInt(centers.length)];
        for (int i = 0; i < dim; i++) {
          x[r * dim + i] = c[i] + 0.5 * rnd.nextGaussian();
        }
      }
      int steps = 50;
      TrainingConfig config = TrainingConfig.defaults().withSteps(steps).withBatchSize(256).withEvalEvery(25)
          .withPatience(Integer.MAX_VALUE).withNoise(0.25).withAveraging(0.99).withGradClip(5.0).withSeed(42L);
      double[][] ms = new double[2][rounds];
      for (int round = -2; round < rounds; round++) { // two warm-up rounds per backend
        for (int b = 0; b < 2; b++) {
          Linalg.useBackend(b == 0 ? pureJava : nd4j);
          long t0 = mx.getCurrentThreadCpuTime();
          Flow flow = FlowFactory.create(spec, 42L);
          new Trainer(config, TrainingListener.NONE).fit(flow, x, rows, true);
          double perStep = (mx.getCurrentThreadCpuTime() - t0) / 1e6 / steps;
          if (round >= 0) {
            ms[b][round] = perStep;
          }
        }
      }
      java.util.Arrays.sort(ms[0]);
      java.util.Arrays.sort(ms[1]);
      double mj = (ms[0][rounds / 2 - 1] + ms[0][rounds / 2]) / 2;
      double mn = (ms[1][rounds / 2 - 1] + ms[1][rounds / 2]) / 2;
      System.out.printf("d=%d  CPU ms/step  java median %.2f (min %.2f)  nd4j median %.2f (min %.2f)  java/nd4j %.2f (min/min %.2f)%n",
          dim, mj, ms[0][0], mn, ms[1][0], mj / mn, ms[0][0] / ms[1][0]);
    }
  }
}
