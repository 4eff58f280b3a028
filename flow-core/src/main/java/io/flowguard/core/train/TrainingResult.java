package io.flowguard.core.train;

import java.util.List;

/**
 * What training did.
 *
 * @param steps optimizer steps taken (including skipped ones)
 * @param bestStep the step whose parameters were kept (the last step without validation)
 * @param trainNll mean training NLL over the last reporting interval
 * @param validationNll best validation NLL, NaN without a validation split
 * @param skippedSteps steps skipped because the loss or gradient was not finite
 * @param stoppedEarly whether early stopping ended training before {@code steps}
 * @param seconds wall time
 * @param curve one point per evaluation: step, train NLL, validation NLL
 */
public record TrainingResult(int steps, int bestStep, double trainNll, double validationNll, int skippedSteps,
                             boolean stoppedEarly, double seconds, List<double[]> curve) {}
