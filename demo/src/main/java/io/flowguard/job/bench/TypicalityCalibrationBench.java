package io.flowguard.job.bench;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.score.TypicalityWindow;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Issue 19: the typicality test's alarm rate on a stream without anomalies. A model is trained on
 * normal rows of a known distribution (the job tests' a ~ N(1, 1), b = 0.8 a + N(0, 0.5), c ~ N(-2,
 * 2)); then N fresh rows of the same distribution stream through one key's sliding windows, and the
 * rate of alarming full windows is compared with 1 - alpha, the level the model was calibrated at.
 * Printed: per window size and level, the per-event rate over sliding windows, the rate over
 * non-overlapping windows (independent samples, where the binomial standard error applies), and
 * their distance from 1 - alpha in binomial standard errors. Episodes (runs of alarming windows)
 * are counted too.
 *
 * <p>{@code java -cp flowguard-demo.jar io.flowguard.job.bench.TypicalityCalibrationBench [events]
 * [trainRows]}
 */
public final class TypicalityCalibrationBench {

  private TypicalityCalibrationBench() {}

  static double[] normal(Random rng) {
    double a = 1 + rng.nextGaussian();
    double b = 0.8 * a + 0.5 * rng.nextGaussian();
    double c = -2 + 2 * rng.nextGaussian();
    return new double[] {a, b, c};
  }

  public static void main(String[] args) {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int trainRows = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    Random rng = new Random(11);
    double[] x = new double[trainRows * 3];
    for (int i = 0; i < trainRows; i++) {
      System.arraycopy(normal(rng), 0, x, i * 3, 3);
    }
    FlowModel model = ModelTrainer.train(new Dataset("calibration", List.of("a", "b", "c"), x,
            trainRows),
        new ModelTrainer.Options("default", 1, FlowSpec.of(FlowSpec.MAF, 3).withLayers(2)
            .withHidden(16, 16), TrainingConfig.defaults().withSteps(1500).withSeed(11), 0.3),
        TrainingListener.NONE).model();
    Scorer scorer = new Scorer(model, 0.001);
    double[] nll = new double[events];
    Scorer.Score s = new Scorer.Score();
    Random stream = new Random(12345);
    for (int i = 0; i < events; i++) {
      scorer.score(normal(stream), s);
      nll[i] = s.nll;
    }
    System.out.printf(Locale.ROOT, "%d normal events, model trained on %d rows%n", events,
        trainRows);
    System.out.println(" M   alpha  expected  sliding-rate (z)   disjoint-rate (z, windows)  episodes");
    for (double alpha : new double[] {0.99, 0.999}) {
      for (int m : new int[] {8, 32, 128}) {
        TypicalityWindow w = scorer.newWindow(m, alpha);
        long full = 0;
        long alarms = 0;
        long episodes = 0;
        boolean open = false;
        long disjoint = 0;
        long disjointAlarms = 0;
        for (int i = 0; i < events; i++) {
          w.add(nll[i]);
          if (!w.full()) {
            continue;
          }
          full++;
          boolean a = w.alarm();
          alarms += a ? 1 : 0;
          if (a && !open) {
            episodes++;
          }
          open = a;
          if ((i + 1) % m == 0) {
            disjoint++;
            disjointAlarms += a ? 1 : 0;
          }
        }
        double p = 1 - alpha;
        double rate = (double) alarms / full;
        double zSliding = (rate - p) / Math.sqrt(p * (1 - p) / full);
        double dRate = (double) disjointAlarms / disjoint;
        double zDisjoint = (dRate - p) / Math.sqrt(p * (1 - p) / disjoint);
        System.out.printf(Locale.ROOT, "%3d  %.3f  %.4f    %.5f (%+6.1f)   %.5f (%+5.1f, %d)   %d%n",
            m, alpha, p, rate, zSliding, dRate, zDisjoint, disjoint, episodes);
      }
    }
  }
}
