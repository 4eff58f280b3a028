package io.flowguard.connectors.model;

import io.flowguard.connectors.kafka.KafkaIo;
import java.util.List;
import java.util.Properties;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

/**
 * The model topic as a Flink source of {@link ModelRecord}s.
 *
 * <p>It always starts at the earliest offset, never at committed offsets: a job that starts without
 * state must see every current model (compaction keeps the latest per name). A job restored from a
 * checkpoint or savepoint resumes from the checkpointed offsets instead, which is consistent because
 * the models read so far are in its broadcast state. Unbounded; for tests, bound the {@link #builder}
 * with {@code setBounded(OffsetsInitializer.latest())}.
 */
public final class ModelTopicSource {

  private ModelTopicSource() {}

  /**
   * A source builder, for callers that adjust it (bounds, client id prefix).
   *
   * @param props extra client properties (security); see {@link KafkaIo#sourceBuilder}
   */
  public static KafkaSourceBuilder<ModelRecord> builder(
      String bootstrapServers, String topic, String groupId, Properties props) {
    return KafkaIo.sourceBuilder(
            bootstrapServers, List.of(topic), groupId, new ModelRecordDeserializer(), props)
        .setStartingOffsets(OffsetsInitializer.earliest());
  }

  /** The unbounded model source. */
  public static KafkaSource<ModelRecord> build(
      String bootstrapServers, String topic, String groupId, Properties props) {
    return builder(bootstrapServers, topic, groupId, props).build();
  }
}
