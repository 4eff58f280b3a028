package io.flowguard.job.retrain;

import io.flowguard.core.model.ModelSignature;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes {@link ModelTopicRecord}s to their topics; an empty value becomes a tombstone (null).
 *
 * <p>With a signing key (issue 19: signed models, {@code retrain.signing-key}) every model file it
 * writes carries its Ed25519 signature in the {@value ModelSignature#HEADER} header, so that jobs
 * verifying signatures accept the promoted model. The key is read from its file when the sink
 * opens, on the TaskManager: it never travels in the job graph.
 */
public final class ModelTopicRecordSerializer
    implements KafkaRecordSerializationSchema<ModelTopicRecord> {

  private static final long serialVersionUID = 1L;

  private final String signingKeyFile; // empty: unsigned
  private transient PrivateKey signingKey;

  /** Unsigned records. */
  public ModelTopicRecordSerializer() {
    this(Optional.empty());
  }

  /** Records signed with the private key in {@code signingKeyFile} (PEM), if given. */
  public ModelTopicRecordSerializer(Optional<String> signingKeyFile) {
    this.signingKeyFile = Objects.requireNonNull(signingKeyFile, "signingKeyFile").orElse("");
  }

  @Override
  public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sink)
      throws Exception {
    if (!signingKeyFile.isEmpty()) {
      signingKey = ModelSignature.readPrivateKey(Path.of(signingKeyFile));
    }
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(ModelTopicRecord r, KafkaSinkContext context,
      Long timestamp) {
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(r.topic(), null, null,
        r.keyBytes(), r.isTombstone() ? null : r.value());
    if (signingKey != null && !r.isTombstone()) {
      record.headers().add(ModelSignature.HEADER, ModelSignature.sign(signingKey, r.value()));
    }
    return record;
  }
}
