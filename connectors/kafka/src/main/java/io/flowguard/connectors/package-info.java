/**
 * Kafka and model transport for the Flink job: event codecs with dead letters ({@code event}), scored
 * events as JSON ({@code score}), Kafka sources and sinks with exactly-once defaults and an embedded
 * broker ({@code kafka}), and model transport over a compacted topic or a directory ({@code model}).
 *
 * <p>Nothing here depends on the model classes of flow-core: codecs see a model only through its
 * feature names ({@link io.flowguard.connectors.event.SchemaLookup}), and model transport moves opaque
 * model-file bytes.
 */
package io.flowguard.connectors;
