package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.ModelSignature;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-job retraining signs what it promotes with retrain.signing-key (issue 19 item 3). */
class ModelTopicRecordSerializerTest {

  @TempDir
  Path dir;

  @Test
  void promotedModelsCarryASignatureOfTheirBytes() throws Exception {
    KeyPair pair = ModelSignature.generate();
    Path key = dir.resolve("job.key");
    Files.writeString(key, ModelSignature.privateKeyPem(pair.getPrivate()));
    ModelTopicRecordSerializer s = new ModelTopicRecordSerializer(Optional.of(key.toString()));
    s.open(null, null);
    byte[] model = "model bytes".getBytes(StandardCharsets.US_ASCII);
    ProducerRecord<byte[], byte[]> r =
        s.serialize(new ModelTopicRecord("models", "pump", model), null, null);
    byte[] sig = r.headers().lastHeader(ModelSignature.HEADER).value();
    assertTrue(ModelSignature.verify(List.of(pair.getPublic()), model, sig));
    ProducerRecord<byte[], byte[]> tombstone =
        s.serialize(new ModelTopicRecord("models-history", "pump/1", new byte[0]), null, null);
    assertNull(tombstone.headers().lastHeader(ModelSignature.HEADER));
  }

  @Test
  void withoutAKeyNothingIsSigned() throws Exception {
    ModelTopicRecordSerializer s = new ModelTopicRecordSerializer();
    s.open(null, null);
    ProducerRecord<byte[], byte[]> r = s.serialize(
        new ModelTopicRecord("models", "pump", new byte[] {1}), null, null);
    assertNull(r.headers().lastHeader(ModelSignature.HEADER));
  }
}
