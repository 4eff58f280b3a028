package io.flowguard.core.eval;

/**
 * A detector under the streaming protocol: trains on one series and scores it, for one seed. The flow
 * ({@link StreamingProtocol#run}) and the classical baselines are detectors; {@link Evaluation#seriesDetector}
 * maps each method name to one, and that is where a new detector of series (a time-aware flow, say) is
 * added. Everything downstream (AUROC and AP, the suite's table, the NAB score) only sees what
 * {@link #run} returns, so it does not depend on which detector produced it.
 *
 * <p>What {@link #run} returns ({@link Evaluation.SeedOutcome}):
 * <ul>
 *   <li>{@code result}: the protocol's figures over TEST (the points after the first
 *       {@link StreamingProtocol#trainPoints floor(0.15 n)}): AUROC and AP of the detector's per-point score
 *       against the labels (NaN when TEST holds one class only; {@code Metrics} computes both), test NLL
 *       where the detector has one, fit seconds and scoring rate;</li>
 *   <li>{@code anomalyScores}: for the NAB score, a score in [0, 1] for every point from some index to the
 *       end; points before it are never detections, so a detector that learns online may score from
 *       NAB's probationary period on, one that trains on TRAIN scores TEST. The scores must be comparable
 *       across series (NAB thresholds the whole corpus at one value): a calibrated tail probability
 *       mapped by {@code AnomalyScores.ofTailProbabilities}, not a raw NLL. Empty when the detector has
 *       no such score (the baselines): it is then left out of the NAB score.</li>
 * </ul>
 * The series carries the timestamps as text ({@link StreamingProtocol.Series#timestamps}).
 */
@FunctionalInterface
public interface SeriesDetector {

  /** Trains on the series and scores it, with {@code seed} for whatever the detector draws at random. */
  Evaluation.SeedOutcome run(StreamingProtocol.Series series, long seed);
}
