package io.flowguard.job.retrain;

import java.util.Objects;

/**
 * What the retraining operator remembers per model besides the reservoir: the schedule, the last
 * version it promoted, and the retraining in flight, if any. In keyed state, so it is checkpointed
 * together with the reservoir and with the promotion's Kafka transaction: after a restore the
 * operator knows exactly which promotions are visible and restarts a lost training.
 *
 * @param lastPromotedVersion the newest version this operator promoted (0: none, or the model was
 *     withdrawn since); no retraining starts until the champion has caught up with it, so a version
 *     is never promoted twice
 * @param attempts retrainings started so far (the attempt number seeds the training)
 * @param nextRunAt processing time of the next scheduled retraining (0: not scheduled yet)
 * @param pollAt processing time at which the running training is looked at next (0: none)
 * @param driftTriggeredAt the drift declaration (its time) that already triggered a retraining
 * @param inFlightAttempt the attempt in flight; 0 when none
 * @param inFlightTrigger its lineage trigger code ({@code scheduled} or {@code drift}); empty when none
 * @param inFlightChampion the champion version it is validated against
 * @param inFlightDriftRows whether it trains on the drift rows only
 * @param inFlightSince when it started, epoch ms
 */
public record RetrainProgress(int lastPromotedVersion, long attempts, long nextRunAt, long pollAt,
    long driftTriggeredAt, long inFlightAttempt, String inFlightTrigger, int inFlightChampion,
    boolean inFlightDriftRows, long inFlightSince) {

  public static final RetrainProgress NONE = new RetrainProgress(0, 0, 0, 0, 0, 0, "", 0, false, 0);

  public RetrainProgress {
    Objects.requireNonNull(inFlightTrigger, "inFlightTrigger");
  }

  public boolean inFlight() {
    return inFlightAttempt != 0;
  }

  RetrainProgress scheduledAt(long t) {
    return new RetrainProgress(lastPromotedVersion, attempts, t, pollAt, driftTriggeredAt,
        inFlightAttempt, inFlightTrigger, inFlightChampion, inFlightDriftRows, inFlightSince);
  }

  RetrainProgress pollingAt(long t) {
    return new RetrainProgress(lastPromotedVersion, attempts, nextRunAt, t, driftTriggeredAt,
        inFlightAttempt, inFlightTrigger, inFlightChampion, inFlightDriftRows, inFlightSince);
  }

  RetrainProgress started(long attempt, String trigger, int champion, boolean driftRows, long now,
      long driftDeclaredAt) {
    return new RetrainProgress(lastPromotedVersion, Math.max(attempts, attempt), nextRunAt, pollAt,
        trigger.equals("drift") ? driftDeclaredAt : driftTriggeredAt, attempt, trigger, champion,
        driftRows, now);
  }

  /**
   * The model was withdrawn: the next model published under its name is the new baseline, whatever
   * its version (a fresh model may start again at v1).
   */
  RetrainProgress championWithdrawn() {
    return new RetrainProgress(0, attempts, nextRunAt, pollAt, driftTriggeredAt, inFlightAttempt,
        inFlightTrigger, inFlightChampion, inFlightDriftRows, inFlightSince);
  }

  RetrainProgress finished(int promotedVersion) {
    return new RetrainProgress(Math.max(lastPromotedVersion, promotedVersion), attempts, nextRunAt,
        0, driftTriggeredAt, 0, "", 0, false, 0);
  }
}
