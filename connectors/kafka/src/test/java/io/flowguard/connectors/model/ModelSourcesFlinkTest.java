package io.flowguard.connectors.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.FlinkJobs;
import io.flowguard.connectors.SharedKafka;
import io.flowguard.connectors.kafka.EmbeddedKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelSourcesFlinkTest {

  @RegisterExtension static final MiniClusterExtension MINI_CLUSTER = FlinkJobs.miniCluster();

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("try") // CloseableIterator.close() may throw InterruptedException; fine in tests
  static List<ModelRecord> collect(StreamExecutionEnvironment env,
      org.apache.flink.api.connector.source.Source<ModelRecord, ?, ?> source) throws Exception {
    List<ModelRecord> out = new ArrayList<>();
    try (CloseableIterator<ModelRecord> it =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "models").executeAndCollect()) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  @Test
  void modelTopicSourceReadsEveryModelFromTheEarliestOffset() throws Exception {
    EmbeddedKafka kafka = SharedKafka.get();
    String topic = "models-flink";
    Properties props = kafka.clientProperties();
    ModelTopic.publish(props, topic, "default", bytes("v1"));
    ModelTopic.publish(props, topic, "other", bytes("o1"));
    ModelTopic.publish(props, topic, "default", bytes("v2"));

    KafkaSource<ModelRecord> source =
        ModelTopicSource.builder(kafka.bootstrapServers(), topic, "flink-test", new Properties())
            .setBounded(OffsetsInitializer.latest())
            .build();
    List<ModelRecord> records = collect(FlinkJobs.environment(), source);
    records.sort(Comparator.comparingLong(ModelRecord::offset));

    assertEquals(List.of("default", "other", "default"),
        records.stream().map(ModelRecord::name).toList());
    assertArrayEquals(bytes("v1"), records.get(0).bytes());
    assertArrayEquals(bytes("o1"), records.get(1).bytes());
    assertArrayEquals(bytes("v2"), records.get(2).bytes());
    assertEquals(List.of(0L, 1L, 2L), records.stream().map(ModelRecord::offset).toList());
    assertTrue(records.stream().allMatch(r -> r.timestamp() > 0 && !r.isDeletion()));
  }

  @Test
  void directorySourceEmitsEveryModelFileOnce(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("default.fgm"), bytes("model A"));
    Files.write(dir.resolve("other.fgm"), bytes("model B"));
    Files.write(dir.resolve("third.fgm"), new byte[] {0, 1, 2, (byte) 0xff});
    Files.write(dir.resolve("notes.txt"), bytes("not a model"));
    Files.write(dir.resolve(".hidden.fgm"), bytes("being written"));
    Files.createDirectory(dir.resolve("nested.fgm"));

    List<ModelRecord> records =
        collect(FlinkJobs.environment(), ModelDirectorySource.once(dir.toUri().toString()));

    Map<String, ModelRecord> byName =
        records.stream().collect(Collectors.toMap(ModelRecord::name, r -> r));
    assertEquals(3, records.size(), records.toString());
    assertArrayEquals(bytes("model A"), byName.get("default").bytes());
    assertArrayEquals(bytes("model B"), byName.get("other").bytes());
    assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xff}, byName.get("third").bytes());
    assertEquals(-1L, byName.get("default").offset());
    assertEquals(Files.getLastModifiedTime(dir.resolve("default.fgm")).toMillis(),
        byName.get("default").timestamp());
  }

  @Test
  void directorySourceFromAPlainPathAndAnEmptyDirectory(@TempDir Path dir) throws Exception {
    assertEquals(List.of(),
        collect(FlinkJobs.environment(), ModelDirectorySource.once(dir.toString())));
  }

  @Test
  void aMissingDirectoryFailsABoundedJob(@TempDir Path dir) {
    String missing = dir.resolve("absent").toString();
    Exception e = assertThrows(Exception.class,
        () -> collect(FlinkJobs.environment(), ModelDirectorySource.once(missing)));
    assertTrue(causes(e).contains("does not exist"), causes(e));
  }

  private static String causes(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      s.append(c.getMessage()).append(" | ");
    }
    return s.toString();
  }

  @Test
  @SuppressWarnings("try")
  void monitoringEmitsNewAndRewrittenFiles(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a.fgm");
    Files.write(a, bytes("a1"));
    StreamExecutionEnvironment env = FlinkJobs.environment();
    ModelDirectorySource source =
        ModelDirectorySource.monitoring(dir.toString(), java.time.Duration.ofMillis(100));
    try (CloseableIterator<ModelRecord> it =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "models").executeAndCollect()) {
      assertRecord(it.next(), "a", "a1");

      Files.write(dir.resolve("b.fgm"), bytes("b1"));
      assertRecord(it.next(), "b", "b1");

      // A rewrite is a new version; bump the time so that coarse file-time resolution cannot hide it.
      Files.write(a, bytes("a2"));
      bump(a);
      assertRecord(it.next(), "a", "a2");
    }
  }

  private static void bump(Path file) throws IOException {
    FileTime t = Files.getLastModifiedTime(file);
    Files.setLastModifiedTime(file, FileTime.fromMillis(t.toMillis() + 5_000));
  }

  private static void assertRecord(ModelRecord r, String name, String content) {
    assertEquals(name, r.name());
    assertArrayEquals(bytes(content), r.bytes());
  }
}
