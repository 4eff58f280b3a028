/**
 * The model artifact: everything scoring needs, in one file.
 *
 * <p>A {@link io.flowguard.core.model.FlowModel} bundles the {@link io.flowguard.core.model.Preprocessor}
 * (raw features to the standardized space the flow was trained in), the trained
 * {@link io.flowguard.core.flow.Flow}, the {@link io.flowguard.core.model.Calibration} of its
 * negative log-likelihood on held-out normal data (tail probabilities and typicality thresholds) and the
 * {@link io.flowguard.core.model.Provenance} of the training run. {@link io.flowguard.core.model.ModelFormat}
 * writes and reads it as one checksummed binary file, documented byte by byte in
 * {@code docs/model-format.md}.
 */
package io.flowguard.core.model;
