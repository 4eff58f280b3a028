package io.flowguard.connectors.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Optional;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.junit.jupiter.api.Test;

/** The commit ledger's committable in the committer's state, and the committables of earlier builds. */
class CountedCommittableTest {

  static final SimpleVersionedSerializer<KafkaCommittable> KAFKA = KafkaIo.sink("localhost:9092",
      new BytesSerializer("t"), SinkOptions.exactlyOnce("p"), new java.util.Properties())
      .getCommittableSerializer();
  static final CountedCommittable.Serializer SERIALIZER = new CountedCommittable.Serializer(KAFKA);
  static final KafkaCommittable TRANSACTION = new KafkaCommittable(42L, (short) 3, "p-0-7", null);

  @Test
  void aTransactionWithItsCountSurvivesTheCommittersState() throws IOException {
    CountedCommittable c = new CountedCommittable(TRANSACTION, 1234, 1_700_000_000_000L, "job#2");
    CountedCommittable back = SERIALIZER.deserialize(SERIALIZER.getVersion(), SERIALIZER.serialize(c));
    assertEquals(c, back);
    assertEquals("p-0-7", back.transaction().orElseThrow().getTransactionalId());
    assertEquals(1234, back.records());
  }

  @Test
  void aCountWithoutTransactionSurvivesToo() throws IOException {
    CountedCommittable c = new CountedCommittable(null, 9, 5L, "job#0");
    CountedCommittable back = SERIALIZER.deserialize(SERIALIZER.getVersion(), SERIALIZER.serialize(c));
    assertEquals(c, back);
    assertEquals(Optional.empty(), back.transaction());
  }

  @Test
  void aPlainKafkaCommittableOfAnEarlierBuildRestoresAsARecoveredTransactionOfUnknownSize()
      throws IOException {
    // What the committer's state of a checkpoint taken before the ledger holds: Kafka's own format.
    CountedCommittable back = SERIALIZER.deserialize(KAFKA.getVersion(), KAFKA.serialize(TRANSACTION));
    assertEquals(TRANSACTION.getTransactionalId(), back.transaction().orElseThrow().getTransactionalId());
    assertEquals(0, back.records());
    assertEquals("", back.run(), "no run of this build wrote it");
  }

  @Test
  void anUnknownNewerVersionIsRefused() {
    assertThrows(IOException.class, () -> SERIALIZER.deserialize(CountedCommittable.Serializer.VERSION + 1,
        new byte[8]));
  }

  @Test
  void theKafkaSerializersVersionStaysBelowOurs() {
    // Versions below 1000 are read as Kafka's own format: if the connector ever reaches 1000, move ours.
    assertTrue(KAFKA.getVersion() < 1000, "Kafka committable serializer version " + KAFKA.getVersion());
  }
}
