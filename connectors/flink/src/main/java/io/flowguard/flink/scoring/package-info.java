/**
 * The scoring operator ({@link io.flowguard.flink.scoring.ScoringFunction}: broadcast models with hot
 * swap, events held until their model arrives, keyed typicality windows, dead letters), its settings,
 * metrics and the parsed-model cache.
 */
package io.flowguard.flink.scoring;
