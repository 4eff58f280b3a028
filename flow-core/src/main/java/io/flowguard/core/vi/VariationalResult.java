package io.flowguard.core.vi;

import java.util.List;

/**
 * What a reverse-KL fit did.
 *
 * @param steps optimizer steps taken (including skipped ones)
 * @param skippedSteps steps whose ELBO or gradient was not finite (parameters untouched)
 * @param finalElbo mean ELBO estimate over the last reporting interval (a noisy training figure; estimate
 *     the fitted q's ELBO and log Z with {@link ReverseKl#estimateLogNormalizer})
 * @param seconds wall time
 * @param curve one point per interval: step, mean ELBO of the interval's minibatches
 */
public record VariationalResult(int steps, int skippedSteps, double finalElbo, double seconds, List<double[]> curve) {}
