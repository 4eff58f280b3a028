package io.flowguard.connectors.model;

import io.flowguard.connectors.kafka.TopicReader;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.Provenance;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The model store's memory: the last N versions of every model, kept in a second compacted topic beside
 * the model topic (which compaction reduces to the newest record per model).
 *
 * <p>History records are keyed {@code NAME/VERSION} with the version zero-padded to 10 digits (so keys
 * sort by version) and hold the model file's bytes. {@link #publish} is the one way the CLI and the job
 * publish a model: the history record first, then the model-topic record, so a version that jobs can
 * score with is always in the history (a crash between the two leaves a history entry nobody activated,
 * which is harmless). Publishing version v also writes tombstones for the model's versions {@code <= v - N}.
 */
public final class ModelHistory {

  /** Versions kept per model by default. */
  public static final int DEFAULT_KEEP = 10;
  /** The default model-events topic. */
  public static final String DEFAULT_EVENTS_TOPIC = "flowguard-model-events";

  private ModelHistory() {}

  /** The history topic of a model topic by default: {@code <model topic>-history}. */
  public static String historyTopicFor(String modelTopic) {
    return modelTopic + "-history";
  }

  /** The history record key of a version: {@code NAME/0000000007}. */
  public static String key(String name, int version) {
    return name + "/" + String.format("%010d", version);
  }

  /**
   * One stored version.
   *
   * @param name the model name
   * @param version its version
   * @param provenance its provenance, lineage included when recorded
   * @param sizeBytes the model file's size
   * @param offset the history-topic offset
   * @param timestamp the history record's timestamp (when it was published), epoch ms
   */
  public record Entry(String name, int version, Provenance provenance, int sizeBytes, long offset, long timestamp) {
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(provenance, "provenance");
    }
  }

  /**
   * A model's history, oldest version first, and the records that could not be read (their keys and why),
   * which are listed rather than silently skipped.
   */
  public record History(List<Entry> entries, List<String> unreadable) {
    public History {
      entries = List.copyOf(entries);
      unreadable = List.copyOf(unreadable);
    }

    /** The newest stored version, if any. */
    public Optional<Entry> newest() {
      return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
    }
  }

  /**
   * What {@link #publish} wrote.
   *
   * @param historyOffset the history record's offset
   * @param modelOffset the model-topic record's offset
   * @param retired versions tombstoned in the history (older than the last {@code keep})
   */
  public record Published(String name, int version, long historyOffset, long modelOffset, List<Integer> retired) {
    public Published {
      retired = List.copyOf(retired);
    }
  }

  /**
   * Publishes a model file: the history record, tombstones for versions that fall out of the last
   * {@code keep}, then the model-topic record. Both topics are created compacted if missing. The file is
   * parsed first (name and version come from it), so a corrupt model is never published.
   *
   * @throws IllegalArgumentException for bytes that are not a valid model file or {@code keep < 1}
   * @throws IllegalStateException if Kafka fails
   */
  public static Published publish(Properties kafkaProps, String modelTopic, String historyTopic, byte[] modelBytes,
                                  int keep) {
    return publish(kafkaProps, modelTopic, historyTopic, modelBytes, keep, new byte[0]);
  }

  /**
   * {@link #publish(Properties, String, String, byte[], int)} with the model file's signature ({@link
   * io.flowguard.core.model.ModelSignature}) in the header of both the history and the model-topic record;
   * empty: unsigned.
   */
  public static Published publish(Properties kafkaProps, String modelTopic, String historyTopic, byte[] modelBytes,
                                  int keep, byte[] signature) {
    if (keep < 1) {
      throw new IllegalArgumentException("the history must keep at least 1 version, got " + keep);
    }
    FlowModel model;
    try {
      model = ModelFormat.read(modelBytes);
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("refusing to publish an invalid model file: " + e.getMessage(), e);
    }
    String name = model.name();
    int version = model.version();
    ModelTopic.ensureTopic(kafkaProps, historyTopic);
    List<Integer> stale = new ArrayList<>();
    for (Entry e : read(kafkaProps, historyTopic, name).entries()) {
      if (e.version() <= version - keep) {
        stale.add(e.version());
      }
    }
    long historyOffset = ModelTopic.send(kafkaProps, historyTopic, key(name, version), modelBytes, signature);
    for (int v : stale) {
      ModelTopic.send(kafkaProps, historyTopic, key(name, v), null);
    }
    long modelOffset = ModelTopic.publish(kafkaProps, modelTopic, name, modelBytes, signature);
    return new Published(name, version, historyOffset, modelOffset, stale);
  }

  /** {@link #publish} with the default history topic and {@link #DEFAULT_KEEP}. */
  public static Published publish(Properties kafkaProps, String modelTopic, byte[] modelBytes) {
    return publish(kafkaProps, modelTopic, historyTopicFor(modelTopic), modelBytes, DEFAULT_KEEP);
  }

  /**
   * Reads a model's history: the history topic from earliest to its end, newest record per key, tombstones
   * applied, each file's metadata parsed. An absent topic is an empty history.
   */
  public static History read(Properties kafkaProps, String historyTopic, String name) {
    Map<String, ConsumerRecord<byte[], byte[]>> latest = latestRecords(kafkaProps, historyTopic, name);
    List<Entry> entries = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    for (Map.Entry<String, ConsumerRecord<byte[], byte[]>> e : latest.entrySet()) {
      ConsumerRecord<byte[], byte[]> r = e.getValue();
      if (r.value() == null || r.value().length == 0) {
        continue;
      }
      try {
        FlowModel m = ModelFormat.read(r.value());
        if (!m.name().equals(name)) {
          unreadable.add(e.getKey() + ": holds model '" + m.name() + "'");
          continue;
        }
        entries.add(new Entry(name, m.version(), m.provenance(), r.value().length, r.offset(), r.timestamp()));
      } catch (ModelFormatException ex) {
        unreadable.add(e.getKey() + ": " + ex.getMessage());
      }
    }
    entries.sort(Comparator.comparingInt(Entry::version));
    return new History(entries, unreadable);
  }

  /** The file of one stored version; empty if the history does not hold it (never stored, or retired). */
  public static Optional<byte[]> fetch(Properties kafkaProps, String historyTopic, String name, int version) {
    ConsumerRecord<byte[], byte[]> r = latestRecords(kafkaProps, historyTopic, name).get(key(name, version));
    return r == null || r.value() == null || r.value().length == 0 ? Optional.empty() : Optional.of(r.value());
  }

  private static Map<String, ConsumerRecord<byte[], byte[]>> latestRecords(Properties kafkaProps, String topic,
                                                                          String name) {
    Map<String, ConsumerRecord<byte[], byte[]>> latest = new LinkedHashMap<>();
    if (!TopicReader.exists(kafkaProps, topic)) {
      return latest;
    }
    String prefix = name + "/";
    for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(kafkaProps, topic).records()) {
      if (r.key() == null) {
        continue;
      }
      String key = new String(r.key(), StandardCharsets.UTF_8);
      // The suffix check keeps a model named "a/b" out of model "a"'s history.
      if (key.startsWith(prefix) && key.substring(prefix.length()).matches("[0-9]{10}")) {
        latest.put(key, r);
      }
    }
    return latest;
  }
}
