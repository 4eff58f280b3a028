package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The time-aware flow as an evaluate detector: NAB's anomaly likelihood, and a series whose anomaly only its past reveals. */
class TimeAwareDetectorTest {

  @Test
  void theLikelihoodIsTheShortMeanAgainstTheLongWindowInStandardDeviations() {
    double[] nll = new double[40];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = i % 2; // mean 0.5, sd 0.5 over any even-length window
    }
    double[] z = TimeAwareDetector.likelihoodZ(nll, 20);
    assertEquals(0.0, z[19], 0.0, "before the first scored point");
    // At t = 21 (odd, value 1): the last 10 values average 0.5, the 22 values 0..21 average 0.5.
    assertEquals(0.0, z[21], 1e-12);
    nll[39] = 10.5; // the last 10 now average 1.5; the 40 average 0.75 with sd sqrt(0.25 * 39/40 + ...) computed below
    z = TimeAwareDetector.likelihoodZ(nll, 20);
    double mean = 0;
    double sq = 0;
    for (double v : nll) {
      mean += v;
      sq += v * v;
    }
    mean /= 40;
    double sd = Math.sqrt(sq / 40 - mean * mean);
    double shortMean = 0;
    for (int i = 30; i < 40; i++) {
      shortMean += nll[i];
    }
    shortMean /= 10;
    assertEquals((shortMean - mean) / sd, z[39], 1e-12);
  }

  @Test
  void theGaussianTailIsRightFarOut() {
    assertEquals(0.5, TimeAwareDetector.gaussianTail(0), 1e-7);
    assertEquals(0.0013498980316301, TimeAwareDetector.gaussianTail(3), 1e-9);
    assertEquals(7.61985302416e-24, TimeAwareDetector.gaussianTail(10), 1e-29);
    assertEquals(1 - 0.0013498980316301, TimeAwareDetector.gaussianTail(-3), 1e-9);
  }

  /**
   * An AR(1) series whose anomaly is a run of values that stay inside the normal range but move against the
   * dynamics (alternating signs): the time-aware flow ranks them far above the normal points.
   */
  @Test
  void aBrokenDynamicIsFoundOnlyWithThePast() {
    int n = 1400;
    SplittableRandom rng = new SplittableRandom(11);
    double[] v = new double[n];
    int[] labels = new int[n];
    List<String> times = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      times.add(Long.toString(60_000L * t));
      if (t >= 1000 && t < 1040) {
        v[t] = (t % 2 == 0 ? 0.4 : -0.4);
        labels[t] = 1;
      } else {
        v[t] = (t == 0 ? 0 : 0.97 * v[t - 1]) + 0.08 * rng.nextGaussian();
      }
    }
    StreamingProtocol.Series s = new StreamingProtocol.Series("ar", v, labels, times);
    TimeAwareDetector.Outcomes o = TimeAwareDetector.run(s, 0, new TimeAwareDetector.Settings(4, false, false),
        train -> new ModelTrainer.Options("t", 1, FlowSpec.of(FlowSpec.MAF, 1).withLayers(2).withHidden(16, 16),
            TrainingConfig.defaults().withSteps(400).withSeed(1), 0.2));
    double auroc = o.scores().result().auroc();
    assertTrue(auroc > 0.95, "AUROC " + auroc);
    assertTrue(o.scores().anomalyScores().isPresent());
    assertEquals(StreamingProtocol.trainPoints(n), o.scores().anomalyScores().get().firstScored());
  }
}
