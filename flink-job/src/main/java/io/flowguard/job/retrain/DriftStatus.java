package io.flowguard.job.retrain;

/**
 * The population-level alarm statistics of one model (see {@link DriftDetector}): the current block
 * of sampled events, the run of consecutive high or low blocks, and whether a drift is declared.
 *
 * @param modelVersion the champion version the statistics are about (events of older versions are
 *     not counted; a newer version starts afresh)
 * @param blockEvents sampled events counted in the current block
 * @param blockAlerts of those, events that raised an alert (anomaly or typicality alarm)
 * @param highBlocks consecutive completed blocks whose alert fraction reached the threshold
 * @param lowBlocks consecutive completed blocks below it
 * @param declared whether a drift is declared
 * @param declaredAt processing time of the declaration, epoch ms; 0 without a drift
 */
public record DriftStatus(int modelVersion, int blockEvents, int blockAlerts, int highBlocks,
    int lowBlocks, boolean declared, long declaredAt) {

  /** No statistics yet for the given version. */
  public static DriftStatus fresh(int modelVersion) {
    return new DriftStatus(modelVersion, 0, 0, 0, 0, false, 0);
  }
}
