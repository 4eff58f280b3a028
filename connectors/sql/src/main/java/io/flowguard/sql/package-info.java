/**
 * Flowguard in Flink SQL: the {@code 'flowguard'} model provider for {@code CREATE MODEL} and
 * {@code ML_PREDICT} ({@link io.flowguard.sql.FlowguardModelProviderFactory}, options in
 * {@link io.flowguard.sql.FlowguardModelOptions}). See docs/sql.md.
 */
package io.flowguard.sql;
