package io.flowguard.core.eval.nab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.eval.nab.NabScorer.Optimum;
import io.flowguard.core.eval.nab.NabScorer.Scored;
import io.flowguard.core.eval.nab.NabScorer.SeriesScore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * NAB's scoring rules on series small enough to work by hand. The expected numbers below are worked from
 * the rules, not taken from this code. Shorthand: NAB's scaled sigmoid
 * {@code sigma(x) = 2 / (1 + e^(5x)) - 1 = tanh(-2.5 x)} (and -1 for x > 3), so a detection at point i of a
 * window [a, b] of width W = b - a + 1 is worth {@code A_TP tanh(2.5 (b - i + 1) / W) / tanh(2.5)}, and a
 * false positive d points after a window of width W' costs {@code A_FP tanh(2.5 d / (W' - 1))}.
 * tanh(2.5) = 0.98661429815143.
 *
 * <p>Tolerance 1e-12: the sums have a handful of terms of order 1, so rounding stays near 1e-15; the slack
 * allows a different order of summation.
 */
class NabScorerTest {

  private static final double EPS = 1e-12;

  /** 60 points, so the probationary period is floor(0.15 * 60) = 9 points (0..8); one window, points 10..19. */
  private static NabSeries oneWindow() {
    return new NabSeries("one", 60, new int[] {10}, new int[] {19});
  }

  /** Scores 1 at the given points and 0 elsewhere, every point scored. */
  private static AnomalyScores flags(int n, int... points) {
    double[] s = new double[n];
    for (int p : points) {
      s[p] = 1.0;
    }
    return new AnomalyScores(0, s);
  }

  private static SeriesScore standardAtOne(NabSeries series, int... points) {
    return NabScorer.scoreAt(new Scored(series, flags(series.length(), points)), NabProfile.STANDARD, 1.0);
  }

  @Test
  void probationaryPeriodIsFifteenPercentCappedAt750Points() {
    assertEquals(9, NabSeries.probationaryPeriod(60));
    assertEquals(169, NabSeries.probationaryPeriod(1127), "floor(169.05)");
    assertEquals(604, NabSeries.probationaryPeriod(4032), "floor(604.8)");
    assertEquals(750, NabSeries.probationaryPeriod(5000));
    assertEquals(750, NabSeries.probationaryPeriod(22695), "0.15 * 5000 caps it");
  }

  @Test
  void scaledSigmoidHasNabsLandmarks() {
    assertEquals(0.98661429815143, NabSeries.scaledSigmoid(-1.0), 1e-13, "tanh(2.5): a window's left edge");
    assertEquals(0.84828363995751, NabSeries.scaledSigmoid(-0.5), 1e-13, "tanh(1.25): halfway in");
    assertEquals(0.0, NabSeries.scaledSigmoid(0.0), 0.0, "the right edge");
    assertEquals(-0.98661429815143, NabSeries.scaledSigmoid(1.0), 1e-13);
    assertEquals(-0.99999938819, NabSeries.scaledSigmoid(3.0), 1e-11, "-tanh(7.5): 3 is still on the curve");
    assertEquals(-1.0, NabSeries.scaledSigmoid(3.0000001), 0.0, "beyond 3: exactly -1");
  }

  @Test
  void windowDetectedAtItsFirstPointEarnsTheFullTpWeight() {
    // i = 10 = a: tanh(2.5 * 10/10) / tanh(2.5) = 1.
    SeriesScore s = standardAtOne(oneWindow(), 10);
    assertEquals(1.0, s.raw(), EPS);
    assertEquals(1, s.detectedWindows());
    assertEquals(0, s.falsePositives());
  }

  @Test
  void windowDetectedInItsMiddleEarnsLess() {
    // i = 15: b - i + 1 = 5 of W = 10, tanh(1.25) / tanh(2.5) = 0.84828363995751 / 0.98661429815143.
    assertEquals(0.8597925669097837, standardAtOne(oneWindow(), 15).raw(), EPS);
  }

  @Test
  void windowDetectedAtItsLastPointStillEarnsSomething() {
    // i = 19 = b: tanh(2.5 / 10) / tanh(2.5) = 0.24491866240371 / 0.98661429815143.
    assertEquals(0.24824154977542992, standardAtOne(oneWindow(), 19).raw(), EPS);
  }

  @Test
  void missedWindowCostsTheFnWeight() {
    // Only point 25 flagged: the window is missed (-A_FN = -1) and 25 is a false positive 6 points after a
    // window of width 10: 0.11 * sigma(6/9) = -0.11 tanh(5/3) = -0.11 * 0.93129277571.
    SeriesScore s = standardAtOne(oneWindow(), 25);
    assertEquals(-1.1024220569534335, s.raw(), EPS);
    assertEquals(1, s.missedWindows());
    assertEquals(1, s.falsePositives());
    SeriesScore none = standardAtOne(oneWindow());
    assertEquals(-1.0, none.raw(), EPS, "nothing flagged: only the missed window");
  }

  @Test
  void falsePositiveBeforeAnyWindowCostsTheFullFpWeight() {
    // 9 is after the probationary period and before the window: -A_FP; the window is caught at its start: +1.
    assertEquals(1 - 0.11, standardAtOne(oneWindow(), 9, 10).raw(), EPS);
  }

  @Test
  void falsePositiveAfterAWindowCostsLessTheCloserItIs() {
    // 22: 3 points after the window's end 19, W' - 1 = 9: -0.11 tanh(2.5 / 3) = -0.11 * 0.68184363...
    assertEquals(0.9249512030738013, standardAtOne(oneWindow(), 10, 22).raw(), EPS);
    // 20: right after the end: -0.11 tanh(2.5 / 9) = -0.11 * 0.27085...; smaller than at 22.
    double at20 = standardAtOne(oneWindow(), 10, 20).raw();
    assertEquals(1 - 0.11 * Math.tanh(2.5 / 9), at20, EPS);
    assertTrue(at20 > 0.9249512030738013);
    // 46: 27 points after, position exactly 3: -0.11 tanh(7.5) = -0.11 * 0.99999938819.
    assertEquals(0.8900000672984899, standardAtOne(oneWindow(), 10, 46).raw(), EPS);
    // 50: position 31/9 > 3: the full -A_FP.
    assertEquals(0.89, standardAtOne(oneWindow(), 10, 50).raw(), EPS);
  }

  @Test
  void onlyTheEarliestDetectionInAWindowCounts() {
    // 12, 15 and 19 flagged: only 12 counts, tanh(2.5 * 8/10) / tanh(2.5) = tanh(2) / tanh(2.5).
    SeriesScore s = standardAtOne(oneWindow(), 12, 15, 19);
    assertEquals(0.9771068409226047, s.raw(), EPS);
    assertEquals(3, s.detections());
    assertEquals(1, s.detectedWindows());
    assertEquals(0, s.falsePositives());
  }

  @Test
  void detectionsInTheProbationaryPeriodAreIgnored() {
    // 3 and 8 lie in the probationary period (points 0..8): no false positive, and the window is missed.
    SeriesScore s = standardAtOne(oneWindow(), 3, 8);
    assertEquals(-1.0, s.raw(), EPS);
    assertEquals(0, s.detections());
  }

  @Test
  void windowReachingIntoTheProbationaryPeriodKeepsItsFullWidth() {
    // Window 5..14 (W = 10) starts inside the probationary period: 6 is ignored, 11 is the first detection
    // that counts, worth tanh(2.5 * (14 - 11 + 1) / 10) / tanh(2.5) = tanh(1) / tanh(2.5).
    NabSeries s = new NabSeries("early", 60, new int[] {5}, new int[] {14});
    assertTrue(s.scored(0));
    assertEquals(0.7719269398210887, standardAtOne(s, 6, 11).raw(), EPS);
  }

  @Test
  void windowInsideTheProbationaryPeriodDoesNotCount() {
    // Window 2..5 ends before point 9: NAB never sees it, so nothing is missed; a detection at 20 is
    // 15 points after it, position 15 / 3 > 3: -A_FP.
    NabSeries s = new NabSeries("hidden", 60, new int[] {2}, new int[] {5});
    assertFalse(s.scored(0));
    assertEquals(0, s.scoredWindows());
    assertEquals(0.0, standardAtOne(s).raw(), EPS);
    SeriesScore fp = standardAtOne(s, 20);
    assertEquals(-0.11, fp.raw(), EPS);
    assertEquals(0, fp.windows());
  }

  @Test
  void falsePositiveAfterAOnePointWindowCostsTheFullFpWeight() {
    // W' - 1 = 0: the position is +infinity (NAB's sweeper would divide by zero), beyond 3: -A_FP.
    NabSeries s = new NabSeries("dot", 60, new int[] {20}, new int[] {20});
    assertEquals(1 - 0.11, standardAtOne(s, 20, 21).raw(), EPS);
  }

  @Test
  void pointsWithoutAScoreAreNeverDetections() {
    // Scores from point 15 on: the window's points 10..14 cannot be detected, 15 is the first that can.
    double[] s = new double[45];
    Arrays.fill(s, 1.0);
    Scored scored = new Scored(oneWindow(), new AnomalyScores(15, s));
    SeriesScore at = NabScorer.scoreAt(scored, NabProfile.STANDARD, 1.0);
    assertEquals(45, at.detections());
    // Window: 15 is worth tanh(2.5 * 5/10)/tanh(2.5); false positives 20..59 after the window (d = 1..40).
    double expected = Math.tanh(1.25) / Math.tanh(2.5);
    for (int d = 1; d <= 40; d++) {
      expected += d / 9.0 > 3 ? -0.11 : -0.11 * Math.tanh(2.5 * d / 9.0);
    }
    assertEquals(expected, at.raw(), EPS);
  }

  @Test
  void normalizationMapsNullToZeroAndPerfectToHundred() {
    // Two series, three windows. Null detector: nothing detected, -A_FN per window; perfect: each window's
    // first point, A_TP per window.
    NabSeries a = oneWindow();
    NabSeries b = new NabSeries("two", 100, new int[] {30, 70}, new int[] {39, 79});
    for (NabProfile p : NabProfile.ALL) {
      List<Scored> perfect = List.of(new Scored(a, flags(60, 10)), new Scored(b, flags(100, 30, 70)));
      NabEvaluation.ProfileResult r = NabEvaluation.evaluate(perfect, p);
      assertEquals(1.0, r.threshold(), 0.0, p.name());
      assertEquals(3.0, r.raw(), EPS, p.name());
      assertEquals(3 * p.tpWeight(), r.perfectScore(), EPS);
      assertEquals(-3 * p.fnWeight(), r.nullScore(), EPS);
      assertEquals(100.0, r.normalized(), 1e-10, p.name());

      List<Scored> blind = List.of(new Scored(a, flags(60)), new Scored(b, flags(100)));
      NabEvaluation.ProfileResult z = NabEvaluation.evaluate(blind, p);
      assertEquals(-3 * p.fnWeight(), z.raw(), EPS, p.name());
      assertEquals(0.0, z.normalized(), 1e-10, p.name());
    }
    // Half way: raw 0 with 2 windows, standard: 100 (0 + 2) / (2 + 2) = 50.
    assertEquals(50.0, NabScorer.normalized(0.0, 2, NabProfile.STANDARD), 1e-12);
    assertTrue(Double.isNaN(NabScorer.normalized(-0.5, 0, NabProfile.STANDARD)), "no windows: undefined");
  }

  @Test
  void optimizerPrefersNoDetectionWhenFalsePositivesOutweighTheWindows() {
    // A constant score on 400 points with one 10-point window: flagging all earns +1 for the window but
    // costs about 0.11 for each of the 330-odd points outside it, so the best threshold detects nothing.
    NabSeries s = new NabSeries("flat", 400, new int[] {200}, new int[] {209});
    double[] half = new double[400];
    Arrays.fill(half, 0.5);
    Optimum o = NabScorer.optimize(List.of(new Scored(s, new AnomalyScores(0, half))), NabProfile.STANDARD);
    assertEquals(NabScorer.NOTHING_DETECTED, o.threshold(), 0.0);
    assertEquals(-1.0, o.raw(), EPS);
  }

  @Test
  void equalScoresAtTwoThresholdsKeepTheHigherThreshold() {
    // 10 scores 0.9 (window caught at its start), 15 scores 0.8 (inside the same window: adds nothing).
    double[] s = new double[60];
    s[10] = 0.9;
    s[15] = 0.8;
    Optimum o = NabScorer.optimize(List.of(new Scored(oneWindow(), new AnomalyScores(0, s))), NabProfile.STANDARD);
    assertEquals(0.9, o.threshold(), 0.0);
    assertEquals(1.0, o.raw(), EPS);
  }

  @Test
  void profilesWeighFalsePositivesAndMissesDifferently() {
    // 100 points (probation 15), window 60..69 whose first point scores 0.5, and 19 false positives
    // before the window (points 20..38, each -A_FP) scoring 0.6; everything else 0.
    // Thresholds: 1.1 -> -A_FN; 0.6 -> -A_FN - 19 A_FP; 0.5 -> A_TP - 19 A_FP; 0 flags ~75 more points.
    //   standard (0.11, A_FN 1):   -1    | -3.09 | 1 - 2.09 = -1.09   -> 1.1 (detect nothing), -1
    //   low FP   (0.22, A_FN 1):   -1    | -5.18 | 1 - 4.18 = -3.18   -> 1.1, -1
    //   low FN   (0.11, A_FN 2):   -2    | -4.09 | 1 - 2.09 = -1.09   -> 0.5, -1.09
    double[] s = new double[100];
    for (int i = 20; i <= 38; i++) {
      s[i] = 0.6;
    }
    s[60] = 0.5;
    List<Scored> suite = List.of(new Scored(new NabSeries("cost", 100, new int[] {60}, new int[] {69}),
        new AnomalyScores(0, s)));
    Optimum standard = NabScorer.optimize(suite, NabProfile.STANDARD);
    Optimum lowFp = NabScorer.optimize(suite, NabProfile.REWARD_LOW_FP_RATE);
    Optimum lowFn = NabScorer.optimize(suite, NabProfile.REWARD_LOW_FN_RATE);
    assertEquals(NabScorer.NOTHING_DETECTED, standard.threshold(), 0.0);
    assertEquals(-1.0, standard.raw(), EPS);
    assertEquals(NabScorer.NOTHING_DETECTED, lowFp.threshold(), 0.0);
    assertEquals(-1.0, lowFp.raw(), EPS);
    assertEquals(0.5, lowFn.threshold(), 0.0);
    assertEquals(-1.09, lowFn.raw(), EPS);
    // At the one threshold 0.5 the three profiles price the same detections: A_TP - 19 A_FP.
    Scored one = suite.get(0);
    assertEquals(1 - 19 * 0.11, NabScorer.scoreAt(one, NabProfile.STANDARD, 0.5).raw(), EPS);
    assertEquals(1 - 19 * 0.22, NabScorer.scoreAt(one, NabProfile.REWARD_LOW_FP_RATE, 0.5).raw(), EPS);
    assertEquals(1 - 19 * 0.11, NabScorer.scoreAt(one, NabProfile.REWARD_LOW_FN_RATE, 0.5).raw(), EPS);
    // Normalized with one window: low FN, 100 (-1.09 + 2) / (1 + 2) = 30.33...
    assertEquals(100 * 0.91 / 3, NabEvaluation.evaluate(suite, NabProfile.REWARD_LOW_FN_RATE).normalized(), 1e-10);
  }

  @Test
  void sweepEqualsABruteForceSweepOnRandomSuites() {
    SplittableRandom rng = new SplittableRandom(17);
    for (int trial = 0; trial < 40; trial++) {
      List<Scored> suite = new ArrayList<>();
      int series = 1 + rng.nextInt(4);
      for (int j = 0; j < series; j++) {
        int n = 30 + rng.nextInt(300);
        List<Integer> first = new ArrayList<>();
        List<Integer> last = new ArrayList<>();
        int at = rng.nextInt(n / 3);
        while (at < n && rng.nextInt(4) > 0) {
          int w = 1 + rng.nextInt(20);
          if (at + w > n) {
            break;
          }
          first.add(at);
          last.add(at + w - 1);
          at += w + 1 + rng.nextInt(60);
        }
        int firstScored = rng.nextBoolean() ? 0 : rng.nextInt(n / 4);
        double[] s = new double[n - firstScored];
        for (int i = 0; i < s.length; i++) {
          // Two decimals: many ties, which must move together.
          s[i] = Math.round(rng.nextDouble() * 100) / 100.0;
        }
        suite.add(new Scored(new NabSeries("s" + j, n, first.stream().mapToInt(Integer::intValue).toArray(),
            last.stream().mapToInt(Integer::intValue).toArray()), new AnomalyScores(firstScored, s)));
      }
      for (NabProfile p : NabProfile.ALL) {
        Optimum sweep = NabScorer.optimize(suite, p);
        Optimum brute = bruteForce(suite, p);
        assertEquals(brute.threshold(), sweep.threshold(), 0.0, "trial " + trial + " " + p.name());
        assertEquals(brute.raw(), sweep.raw(), 1e-9, "trial " + trial + " " + p.name());
      }
    }
  }

  /** Every distinct score as threshold (and 1.1), each scored from scratch: O(N^2). */
  private static Optimum bruteForce(List<Scored> suite, NabProfile p) {
    TreeSet<Double> thresholds = new TreeSet<>();
    thresholds.add(NabScorer.NOTHING_DETECTED);
    for (Scored s : suite) {
      for (double v : s.scores().values()) {
        thresholds.add(v);
      }
    }
    Optimum best = null;
    for (double t : thresholds.descendingSet()) {
      double raw = 0;
      for (Scored s : suite) {
        raw += NabScorer.scoreAt(s, p, t).raw();
      }
      if (best == null || raw > best.raw() + 1e-12) {
        best = new Optimum(t, raw);
      }
    }
    return best;
  }

  @Test
  void scoresMustCoverTheSeriesToItsEnd() {
    assertThrows(IllegalArgumentException.class, () -> new Scored(oneWindow(), new AnomalyScores(0, new double[59])));
    assertThrows(IllegalArgumentException.class, () -> new AnomalyScores(0, new double[] {0.5, 1.5}));
    assertThrows(IllegalArgumentException.class, () -> new AnomalyScores(0, new double[] {Double.NaN}));
  }
}
