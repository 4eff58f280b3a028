package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calibration on a known density: the NLL of N(0, I_4) samples, {@code 0.5 |z|^2 + 2 log(2 pi)}, i.e. a
 * shifted Gamma(2, 1) whose survival is {@code (1 + g) exp(-g)}. Statistical assertions use fixed seeds
 * and 4-sigma bounds derived from the sample sizes, so they are deterministic and not tuned to pass.
 */
class CalibrationTest {

  private static final int D = 4;
  private static final double SHIFT = 0.5 * D * Math.log(2 * Math.PI);
  private static final int N_VALIDATION = 100_000;
  private static final int N_FRESH = 100_000;

  private static double[] validation;
  private static Calibration calibration;

  @BeforeAll
  static void calibrate() {
    validation = gaussianNll(N_VALIDATION, 1);
    calibration = Calibration.fit(validation, 2);
  }

  /** NLLs of n samples of N(0, I_D). */
  private static double[] gaussianNll(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int k = 0; k < D; k++) {
        double z = rng.nextGaussian();
        s += z * z;
      }
      out[i] = 0.5 * s + SHIFT;
    }
    return out;
  }

  /** The true P(NLL >= t) for N(0, I_4): Gamma(2, 1) survival at t - SHIFT. */
  private static double trueSurvival(double t) {
    double g = t - SHIFT;
    return g <= 0 ? 1.0 : (1 + g) * Math.exp(-g);
  }

  private static double fractionBelow(Calibration c, double[] nll, double rate) {
    int hits = 0;
    for (double v : nll) {
      hits += c.tailProbability(v) < rate ? 1 : 0;
    }
    return hits / (double) nll.length;
  }

  /**
   * 4 sigma of the flagged fraction: the fresh draws are binomial (p(1-p)/nFresh), and the calibration's
   * own estimate of the p-quantile carries about the same variance from its nValidation points.
   */
  private static double fourSigma(double p) {
    return 4 * Math.sqrt(p * (1 - p) * (1.0 / N_FRESH + 1.0 / N_VALIDATION));
  }

  @Test
  void onePercentOfFreshNormalEventsHaveTailProbabilityBelowOnePercent() {
    double rate = fractionBelow(calibration, gaussianNll(N_FRESH, 3), 0.01);
    assertEquals(0.01, rate, fourSigma(0.01));
  }

  @Test
  void onePerMilleOfFreshNormalEventsHaveTailProbabilityBelowOnePerMille() {
    // 0.001 lies deep in the GPD piece (pTail ~ 0.1), so this checks the tail fit, not the empirical part.
    double rate = fractionBelow(calibration, gaussianNll(N_FRESH, 4), 0.001);
    assertEquals(0.001, rate, fourSigma(0.001));
  }

  @Test
  void gpdTailTracksTheTrueSurvivalFarBeyondTheData() {
    // At survival 1e-5 (100x beyond the 0.1 % the data resolve) the GPD extrapolation of a Gamma tail
    // stays within 30 % of the truth: the excess of Gamma(2, 1) over u ~ 3.9 is nearly exponential.
    for (double p : new double[] {1e-2, 1e-3, 1e-4, 1e-5}) {
      double t = calibration.nllThreshold(p);
      double truth = trueSurvival(t);
      assertTrue(Math.abs(Math.log(truth / p)) < Math.log(1.3), "at " + p + " the true survival is " + truth);
    }
  }

  @Test
  void tailProbabilityIsNonIncreasingAndInTheUnitInterval() {
    double lo = validation[0];
    double hi = validation[0];
    for (double v : validation) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    double prev = 1.0;
    for (double t = lo - 1; t <= hi + 50; t += 1e-3) {
      double p = calibration.tailProbability(t);
      assertTrue(p > 0 && p <= 1, "tail probability " + p + " at " + t);
      assertTrue(p <= prev, "increase at " + t + ": " + prev + " -> " + p);
      prev = p;
    }
    assertEquals(1.0, calibration.tailProbability(Double.NEGATIVE_INFINITY), 0.0);
    assertEquals(Calibration.MIN_TAIL_PROBABILITY, calibration.tailProbability(Double.POSITIVE_INFINITY), 0.0);
    assertTrue(calibration.tailProbability(hi) > 0, "never 0 within the data");
  }

  @Test
  void tailProbabilityIsContinuousAtTheThreshold() {
    double u = calibration.tail().threshold();
    assertEquals(calibration.tail().probability(), calibration.tailProbability(u), 0.0);
    double delta = 1e-9;
    // Both pieces have slopes of order density(u) ~ 0.1 per nat, so across 2e-9 nats they may move by
    // ~1e-10; a jump between the pieces would show as a difference of order 1/n = 1e-5.
    assertEquals(calibration.tailProbability(u - delta), calibration.tailProbability(u + delta), 1e-9);
  }

  @Test
  void nllThresholdInvertsTailProbability() {
    for (double r : new double[] {0.9, 0.5, 0.2, calibration.tail().probability(), 0.05, 0.01, 1e-3, 1e-6, 1e-12}) {
      double t = calibration.nllThreshold(r);
      // Both pieces are inverted in closed form: round-off only, relative 1e-9.
      assertEquals(1.0, calibration.tailProbability(t) / r, 1e-9, "rate " + r);
    }
    assertThrows(IllegalArgumentException.class, () -> calibration.nllThreshold(0.0));
    assertThrows(IllegalArgumentException.class, () -> calibration.nllThreshold(1.0));
  }

  @Test
  void typicalityAlarmRateOnFreshWindowsIsOneMinusAlpha() {
    int windows = 20_000;
    int bootstrap = 20_000;
    int nValidation = 20_000;
    double[] val = gaussianNll(nValidation, 5);
    Calibration c = Calibration.fit(val, 6, List.of(1, 8, 32), List.of(0.99), bootstrap);
    SplittableRandom rng = new SplittableRandom(7);
    for (int m : new int[] {1, 8, 32}) {
      double eps = c.typicalityThreshold(m, 0.99);
      int alarms = 0;
      for (int w = 0; w < windows; w++) {
        double s = 0;
        for (int i = 0; i < m; i++) {
          double q = 0;
          for (int k = 0; k < D; k++) {
            double z = rng.nextGaussian();
            q += z * z;
          }
          s += 0.5 * q + SHIFT;
        }
        alarms += Math.abs(s / m - c.entropy()) > eps ? 1 : 0;
      }
      double rate = alarms / (double) windows;
      // 4 sigma of three binomial-like errors: the fresh windows, the bootstrap quantile (B resamples)
      // and the validation sample the bootstrap resamples from.
      double tol = 4 * Math.sqrt(0.01 * 0.99 * (1.0 / windows + 1.0 / bootstrap + 1.0 / nValidation));
      assertEquals(0.01, rate, tol, "window " + m);
    }
  }

  @Test
  void typicalityThresholdsShrinkWithTheWindowAndGrowWithAlpha() {
    double e1 = calibration.typicalityThreshold(1, 0.99);
    double e8 = calibration.typicalityThreshold(8, 0.99);
    double e128 = calibration.typicalityThreshold(128, 0.99);
    assertTrue(e1 > e8 && e8 > e128, e1 + " " + e8 + " " + e128);
    assertTrue(calibration.typicalityThreshold(32, 0.999) > calibration.typicalityThreshold(32, 0.99));
    // The mean of 128 NLLs has std sqrt(Var/128) = sqrt(2/128) = 0.125 here; its two-sided 99 % point
    // is about 2.58 * 0.125 = 0.32 (the CLT is accurate at M = 128 to a few %): 10 %.
    assertEquals(2.576 * Math.sqrt(2.0 / 128), e128, 0.032);
  }

  @Test
  void unknownTypicalityPairIsRejectedListingTheAvailableOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> calibration.typicalityThreshold(16, 0.99));
    assertTrue(e.getMessage().contains("(M=8, alpha=0.99)") && e.getMessage().contains("(M=128, alpha=0.999)"),
        e.getMessage());
  }

  @Test
  void gpdFitRecoversAHeavyTail() {
    GeneralizedPareto.Fit f = GeneralizedPareto.fit(gpdSample(0.2, 1.0, 20_000, 8));
    // MLE standard errors at n = 20k: xi (1 + xi) / sqrt(n) = 0.0085, sigma ~ 1 %: 0.05 and 5 % are > 4 sigma.
    assertEquals(0.2, f.xi(), 0.05);
    assertEquals(1.0, f.sigma(), 0.05);
  }

  @Test
  void gpdFitRecoversABoundedTail() {
    GeneralizedPareto.Fit f = GeneralizedPareto.fit(gpdSample(-0.3, 2.0, 20_000, 9));
    assertEquals(-0.3, f.xi(), 0.05);
    assertEquals(2.0, f.sigma(), 0.1);
  }

  @Test
  void gpdFitOfExponentialDataHasShapeNearZero() {
    GeneralizedPareto.Fit f = GeneralizedPareto.fit(gpdSample(0.0, 3.0, 20_000, 10));
    assertEquals(0.0, f.xi(), 0.05);
    assertEquals(3.0, f.sigma(), 0.15);
  }

  @Test
  void gpdFitMaximizesTheLikelihood() {
    double[] y = gpdSample(0.1, 1.0, 2_000, 11);
    GeneralizedPareto.Fit f = GeneralizedPareto.fit(y);
    double best = GeneralizedPareto.logLikelihood(f.xi(), f.sigma(), y);
    for (double dx : new double[] {-1e-3, 1e-3}) {
      for (double ds : new double[] {-1e-3, 0, 1e-3}) {
        assertTrue(GeneralizedPareto.logLikelihood(f.xi() + dx, f.sigma() * (1 + ds), y) <= best + 1e-9);
      }
    }
  }

  @Test
  void fewExceedancesFallBackToAnExponentialTail() {
    double[] val = gaussianNll(100, 12);
    Calibration c = Calibration.fit(val, 13);
    assertEquals(Calibration.TailKind.EXPONENTIAL, c.tail().kind());
    assertEquals(10, c.tail().exceedances(), "above the 0.9 quantile of 100 values");
    double[] sorted = val.clone();
    Arrays.sort(sorted);
    double meanExcess = 0;
    for (int i = 90; i < 100; i++) {
      meanExcess += (sorted[i] - c.tail().threshold()) / 10;
    }
    assertEquals(meanExcess, c.tail().sigma(), 1e-12);
  }

  @Test
  void beyondTheEndpointOfABoundedTailTheProbabilityIsFloored() {
    double[] q = {0.0, 1.0, 2.0, 3.0, 4.0};
    // GPD with xi = -0.5, sigma = 1 above u = 3: endpoint u + sigma / 0.5 = 5.
    Calibration c = new Calibration(2.0, 5, q, new Calibration.Tail(Calibration.TailKind.GPD, 3.0, 2 / 6.0, -0.5,
        1.0, 1), new Calibration.Typicality(1, 0, List.of()));
    assertTrue(c.tailProbability(4.999) > Calibration.MIN_TAIL_PROBABILITY);
    assertEquals(Calibration.MIN_TAIL_PROBABILITY, c.tailProbability(5.0), 0.0);
    assertEquals(Calibration.MIN_TAIL_PROBABILITY, c.tailProbability(1e6), 0.0);
  }

  @Test
  void storesAtMost4096OrderStatisticsIncludingTheExtremes() {
    double[] q = calibration.quantiles();
    assertEquals(Calibration.MAX_QUANTILES, q.length);
    double[] sorted = validation.clone();
    Arrays.sort(sorted);
    assertEquals(sorted[0], q[0], 0.0);
    assertEquals(sorted[N_VALIDATION - 1], q[q.length - 1], 0.0);
    assertEquals(N_VALIDATION, calibration.count());
  }

  @Test
  void entropyIsTheMeanValidationNll() {
    double s = 0;
    for (double v : validation) {
      s += v;
    }
    assertEquals(s / N_VALIDATION, calibration.entropy(), 0.0);
    // And it estimates the true entropy of N(0, I_4), D/2 (1 + log 2 pi), to 4 standard errors
    // (std of the NLL is sqrt(D/2)).
    assertEquals(0.5 * D * (1 + Math.log(2 * Math.PI)), calibration.entropy(), 4 * Math.sqrt(D / 2.0 / N_VALIDATION));
  }

  @Test
  void fitIsDeterministicForASeed() {
    double[] val = gaussianNll(1000, 14);
    assertEquals(Calibration.fit(val, 15), Calibration.fit(val, 15));
  }

  @Test
  void rejectsNanAndTooLittleData() {
    assertThrows(IllegalArgumentException.class, () -> calibration.tailProbability(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Calibration.fit(new double[5], 1));
    double[] val = gaussianNll(50, 16);
    val[7] = Double.POSITIVE_INFINITY;
    assertThrows(IllegalArgumentException.class, () -> Calibration.fit(val, 1));
  }

  /** Inverse-CDF samples of a GPD. */
  private static double[] gpdSample(double xi, double sigma, int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double u = 1.0 - rng.nextDouble(); // (0, 1]
      y[i] = xi == 0 ? -sigma * Math.log(u) : sigma * (Math.pow(u, -xi) - 1) / xi;
    }
    return y;
  }
}
