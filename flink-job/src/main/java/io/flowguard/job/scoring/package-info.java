/**
 * The job's operators: {@link io.flowguard.job.scoring.ParseFunction} (bytes to raw events or dead
 * letters) and {@link io.flowguard.job.scoring.ScoringFunction} (broadcast models with hot swap, held
 * events, keyed typicality windows), with their state records and metrics.
 */
package io.flowguard.job.scoring;
