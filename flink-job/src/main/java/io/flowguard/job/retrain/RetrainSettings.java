package io.flowguard.job.retrain;

import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.core.model.Retraining;
import io.flowguard.job.JobConfig;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * What the retraining operator needs to know: the schedule, the reservoir, the admission rules, the
 * drift statistic and the challenger trainer. Built from a {@link JobConfig} ({@link #of}); tests
 * and the benchmark may swap the trainer ({@link #withTrainer}).
 *
 * @param interval processing time between scheduled retrainings
 * @param pollInterval how often the operator looks for a finished background training
 * @param reservoirSize most rows per model
 * @param algorithm how a full reservoir makes room
 * @param maxKeyShare largest share of the reservoir one entity key may hold
 * @param minRows fewest rows (drift rows during a drift) a retraining starts with
 * @param holdoutFraction share of the rows held out to compare challenger and champion
 * @param driftTrigger whether a declared drift starts a retraining once it has minRows drift rows
 * @param driftBlock sampled events per block of the drift statistic
 * @param driftAlertFraction alert share that makes a block high
 * @param driftBlocks consecutive high (low) blocks that declare (end) a drift
 * @param driftMinTailProbability during a drift, events whose tail probability is below this stay out
 * @param toleranceNats how much worse (mean held-out NLL, nats) a challenger may be and still be
 *     promoted ({@code Retraining.Settings#toleranceNats})
 * @param modelTopic where promoted models are published
 * @param historyTopic the model history topic
 * @param historyVersions versions per model kept in the history
 * @param cpuShare the share of one core a background training may use ({@link TrainingThrottle})
 * @param trainer trains and validates a challenger (normally {@link ChallengerTrainer#RETRAINING})
 */
public record RetrainSettings(
    Duration interval,
    Duration pollInterval,
    int reservoirSize,
    Reservoir.Algorithm algorithm,
    double maxKeyShare,
    int minRows,
    double holdoutFraction,
    boolean driftTrigger,
    int driftBlock,
    double driftAlertFraction,
    int driftBlocks,
    double driftMinTailProbability,
    double toleranceNats,
    String modelTopic,
    String historyTopic,
    int historyVersions,
    double cpuShare,
    ChallengerTrainer trainer) implements Serializable {

  /** How often a running training is looked at, unless the interval is shorter. */
  public static final Duration DEFAULT_POLL = Duration.ofMillis(200);

  /** The fewest rows a retraining may start with (flow-core's Retraining needs 100). */
  public static final int MIN_ROWS = 100;

  public RetrainSettings {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(trainer, "trainer");
    Objects.requireNonNull(modelTopic, "modelTopic");
    Objects.requireNonNull(historyTopic, "historyTopic");
    if (!(cpuShare > 0 && cpuShare <= 1)) {
      throw new IllegalArgumentException("cpu share must be in (0, 1], got " + cpuShare);
    }
    if (historyVersions < 1) {
      throw new IllegalArgumentException("history versions must be at least 1");
    }
    if (interval.toMillis() < 1 || pollInterval.toMillis() < 1) {
      throw new IllegalArgumentException("retrain interval and poll interval must be >= 1 ms");
    }
    if (minRows < MIN_ROWS || minRows > reservoirSize) {
      throw new IllegalArgumentException("min rows must be in [" + MIN_ROWS
          + ", reservoir size], got " + minRows);
    }
    if (!(toleranceNats >= 0) || Double.isInfinite(toleranceNats)) {
      throw new IllegalArgumentException("tolerance must be finite and >= 0, got " + toleranceNats);
    }
    if (!(holdoutFraction > 0 && holdoutFraction < 0.9)) {
      throw new IllegalArgumentException("hold-out fraction must be in (0, 0.9), got "
          + holdoutFraction);
    }
    if (!(driftMinTailProbability >= 0 && driftMinTailProbability < 1)) {
      throw new IllegalArgumentException("drift min tail probability must be in [0, 1)");
    }
    // Validates the rest.
    new Reservoir(reservoirSize, maxKeyShare, algorithm);
    new DriftDetector(driftBlock, driftAlertFraction, driftBlocks);
  }

  /** The settings of a job configuration, training with {@link ChallengerTrainer#RETRAINING}. */
  public static RetrainSettings of(JobConfig c) {
    Duration poll = c.retrainInterval().compareTo(DEFAULT_POLL) < 0 ? c.retrainInterval()
        : DEFAULT_POLL;
    return new RetrainSettings(c.retrainInterval(), poll, c.retrainReservoirSize(),
        c.retrainReservoirAlgorithm(), c.retrainMaxKeyShare(), c.retrainMinRows(),
        c.retrainHoldoutFraction(), c.retrainDriftTrigger(), c.retrainDriftBlock(),
        c.retrainDriftAlertFraction(), c.retrainDriftBlocks(),
        c.retrainDriftMinTailProbability(), c.retrainTolerance(), c.modelTopic(),
        ModelHistory.historyTopicFor(c.modelTopic()), c.modelHistoryVersions(),
        c.retrainCpuShare(), ChallengerTrainer.RETRAINING);
  }

  /** The same settings with another CPU share for the background training. */
  public RetrainSettings withCpuShare(double share) {
    return new RetrainSettings(interval, pollInterval, reservoirSize, algorithm, maxKeyShare,
        minRows, holdoutFraction, driftTrigger, driftBlock, driftAlertFraction, driftBlocks,
        driftMinTailProbability, toleranceNats, modelTopic, historyTopic, historyVersions,
        share, trainer);
  }

  /** The same settings with another trainer. */
  public RetrainSettings withTrainer(ChallengerTrainer t) {
    return new RetrainSettings(interval, pollInterval, reservoirSize, algorithm, maxKeyShare,
        minRows, holdoutFraction, driftTrigger, driftBlock, driftAlertFraction, driftBlocks,
        driftMinTailProbability, toleranceNats, modelTopic, historyTopic, historyVersions,
        cpuShare, t);
  }

  /** Flow-core's validation settings for a job scoring at {@code falseAlarmRate}. */
  public Retraining.Settings validation(double falseAlarmRate) {
    return Retraining.Settings.defaults().withHoldOutFraction(holdoutFraction)
        .withMinRows(minRows).withToleranceNats(toleranceNats).withFalseAlarmRate(falseAlarmRate);
  }

  public Reservoir reservoir() {
    return new Reservoir(reservoirSize, maxKeyShare, algorithm);
  }

  public DriftDetector driftDetector() {
    return new DriftDetector(driftBlock, driftAlertFraction, driftBlocks);
  }
}
