package io.flowguard.connectors.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a bounded slice of a topic outside Flink (for the CLI and the model store): every partition from
 * a start offset to the end offsets taken when reading begins, so a busy topic still gives a finite
 * read. {@link #readAll} and {@link #readSince} return the records in partition then offset order. Committed records only ({@code read_committed}); no consumer group, nothing committed.
 */
public final class TopicReader {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TopicReader() {}

  /** What was read: the records, in partition then offset order, and the offsets read per partition. */
  public record Slice(List<ConsumerRecord<byte[], byte[]>> records, Map<Integer, long[]> offsetRanges) {
    public Slice {
      records = List.copyOf(records);
      offsetRanges = Map.copyOf(offsetRanges);
    }
  }

  /** Whether the topic exists. */
  public static boolean exists(Properties kafkaProps, String topic) {
    try (Admin admin = Admin.create(kafkaProps)) {
      admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw new IllegalStateException("describing topic '" + topic + "' failed: " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not answer within " + TIMEOUT + " (is " + kafkaProps.getProperty(
          "bootstrap.servers") + " reachable?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while talking to Kafka", e);
    }
  }

  /** The whole topic, earliest to the current end. */
  public static Slice readAll(Properties kafkaProps, String topic) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    Map<Integer, long[]> ranges = read(kafkaProps, topic, -1L, out::add);
    return new Slice(byPartition(out), ranges);
  }

  /**
   * The records of every partition from the first offset whose timestamp is at or after
   * {@code sinceMillis} to the end offsets at the start of the read.
   */
  public static Slice readSince(Properties kafkaProps, String topic, long sinceMillis) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    Map<Integer, long[]> ranges = read(kafkaProps, topic, Math.max(0, sinceMillis), out::add);
    return new Slice(byPartition(out), ranges);
  }

  /**
   * As {@link #readSince}, handing each record to {@code sink} as it arrives instead of keeping them
   * (for windows too large to hold): records arrive in offset order within a partition, partitions
   * interleaved. Returns the offsets read per partition, {@code [start, end)}.
   */
  public static Map<Integer, long[]> forEachSince(Properties kafkaProps, String topic, long sinceMillis,
                                                  java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    return read(kafkaProps, topic, Math.max(0, sinceMillis), sink);
  }

  /** Stable: offset order within each partition is kept. */
  private static List<ConsumerRecord<byte[], byte[]>> byPartition(List<ConsumerRecord<byte[], byte[]>> records) {
    List<ConsumerRecord<byte[], byte[]>> sorted = new ArrayList<>(records);
    sorted.sort(java.util.Comparator.comparingInt(ConsumerRecord::partition));
    return sorted;
  }

  private static Map<Integer, long[]> read(Properties kafkaProps, String topic, long sinceMillis,
                                           java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    if (!exists(kafkaProps, topic)) {
      throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + kafkaProps.getProperty(
          "bootstrap.servers") + "; check the name");
    }
    Properties p = new Properties();
    p.putAll(kafkaProps);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, TIMEOUT).forEach(info -> parts.add(new TopicPartition(topic, info.partition())));
      c.assign(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, TIMEOUT);
      Map<TopicPartition, Long> begin = c.beginningOffsets(parts, TIMEOUT);
      Map<TopicPartition, Long> start = new HashMap<>(begin);
      if (sinceMillis >= 0) {
        Map<TopicPartition, Long> query = new HashMap<>();
        parts.forEach(tp -> query.put(tp, sinceMillis));
        Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(query, TIMEOUT);
        for (TopicPartition tp : parts) {
          OffsetAndTimestamp o = found.get(tp);
          start.put(tp, o == null ? end.get(tp) : Math.max(o.offset(), begin.get(tp)));
        }
      }
      Map<Integer, long[]> ranges = new HashMap<>();
      for (TopicPartition tp : parts) {
        ranges.put(tp.partition(), new long[] {start.get(tp), end.get(tp)});
        c.seek(tp, start.get(tp));
      }
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      List<TopicPartition> open = new ArrayList<>(parts);
      open.removeIf(tp -> start.get(tp) >= end.get(tp));
      while (!open.isEmpty()) {
        var batch = c.poll(Duration.ofMillis(200));
        if (!batch.isEmpty()) {
          deadline = System.nanoTime() + TIMEOUT.toNanos(); // a stall, not a long read, is the error
        } else if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading topic '" + topic + "' stalled before its end offsets " + end
              + " for " + TIMEOUT);
        }
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            sink.accept(r);
          }
        }
        // Transaction markers occupy offsets without records, so the position, not the last record, says done.
        List<TopicPartition> done = open.stream().filter(tp -> c.position(tp) >= end.get(tp)).toList();
        c.pause(done); // fetch nothing more beyond a partition's end
        open.removeAll(done);
      }
      return ranges;
    }
  }
}
