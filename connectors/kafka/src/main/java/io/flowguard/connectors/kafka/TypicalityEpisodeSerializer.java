package io.flowguard.connectors.kafka;

import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.connectors.score.TypicalityEpisodeJson;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link TypicalityEpisode} as JSON ({@link TypicalityEpisodeJson}), keyed by the event key
 * like the scored events, so a key's episode records stay in order. Bounded: key (at most {@code
 * events.max-key-bytes}), model name (256 characters) and the window's NLLs (at most the largest
 * window size, ~25 bytes each) make a few KiB.
 */
public final class TypicalityEpisodeSerializer
    implements KafkaRecordSerializationSchema<TypicalityEpisode> {

  private static final long serialVersionUID = 1L;

  private final String topic;

  public TypicalityEpisodeSerializer(String topic) {
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      TypicalityEpisode e, KafkaSinkContext context, Long timestamp) {
    return new ProducerRecord<>(topic, null, null, e.key().getBytes(StandardCharsets.UTF_8),
        TypicalityEpisodeJson.toJson(e));
  }
}
