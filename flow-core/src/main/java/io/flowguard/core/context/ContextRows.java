package io.flowguard.core.context;

import java.util.SplittableRandom;

/**
 * The context vector of every row of a sequence, as the job would have built it event by event: each key's
 * rows replayed in order through a {@link KeyHistory} with the spec's rules.
 *
 * <p>For training, a share of the rows with a full history ({@link #WARM_UP_SHARE}) see only a random
 * number j &lt; k of their most recent events, so that the one model also learns the densities a warming-up
 * key needs, down to j = 0 (no history: the marginal density of x). Scoring never truncates.
 */
public final class ContextRows {

  /** Share of full-history training rows shown a shortened history. */
  public static final double WARM_UP_SHARE = 0.1;
  /** Mixed into the training seed for the draws of the shortened histories ({@link RawContexts#encode} too). */
  static final long WARM_UP_SALT = 0x6A09E667F3BCC909L;

  private ContextRows() {}

  /**
   * Contexts of {@code n} rows.
   *
   * @param x the rows' raw features, row-major {@code n x rawDim}, in sequence order
   * @param map the model's preprocessing of a raw row into {@code d} values
   * @param seq the rows' times, keys and context fields
   * @param seed for the warm-up truncation; ignored when {@code truncate} is false
   * @param truncate whether to shorten the history of a share of the rows (training) or not (scoring)
   * @return row-major {@code n x spec.dim(d)}
   */
  public static double[] build(ContextSpec spec, double[] x, int rawDim, int d, ContextEncoder.RowMap map,
                               EventSequence seq, boolean truncate, long seed) {
    int n = seq.rows();
    ContextEncoder encoder = new ContextEncoder(spec, rawDim, d, map);
    int m = encoder.dim();
    double[] c = new double[n * m];
    KeyHistory[] histories = new KeyHistory[seq.keyNames().size()];
    KeyHistory shortened = encoder.newHistory();
    SplittableRandom rng = new SplittableRandom(seed ^ WARM_UP_SALT);
    double[] fields = seq.fields();
    int nf = seq.fieldCount();
    for (int r = 0; r < n; r++) {
      int key = seq.keys()[r];
      KeyHistory h = histories[key];
      if (h == null) {
        h = histories[key] = encoder.newHistory();
      }
      long time = seq.times()[r];
      h.admit(spec, time);
      KeyHistory view = h;
      if (truncate && !h.warmingUp() && rng.nextDouble() < WARM_UP_SHARE) {
        view = shortened;
        view.restore(h.ring(), h.head(), rng.nextInt(spec.window()), h.newestTime());
      }
      encoder.encode(view, time, fields, r * nf, c, r * m);
      h.append(x, r * rawDim, time);
    }
    return c;
  }
}
