package io.flowguard.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what the demo job commits (scores, alerts, dead letters; read_committed, like any consumer
 * of an exactly-once job) on its own thread and keeps the figures the demo prints.
 */
final class DemoMonitor implements AutoCloseable {

  /** One scored event as the demo remembers it. */
  record Alert(String key, String version, double nll, double tail, boolean anomaly,
      boolean typicalityAlarm, String why) {}

  private final ObjectMapper json = new ObjectMapper();

  /** ", pressure 4.10 (typical 1.20)": the feature that explains an alert most, if it was explained. */
  private static String topFeature(JsonNode alert) {
    JsonNode first = alert.path("explanation").path(0);
    if (first.isMissingNode() || !first.has("feature")) {
      return "";
    }
    return String.format(Locale.ROOT, ", %s %.3g (typical %.3g)", first.get("feature").asText(),
        first.path("value").asDouble(Double.NaN), first.path("typical").asDouble(Double.NaN));
  }
  private final String scores;
  private final String alerts;
  private final String deadLetters;
  private final Properties props;
  private final Map<Long, Boolean> labels;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  // Guarded by this.
  private long scored;
  private long anomalies;
  private long typicalityAlarms;
  private long alertRecords;
  private long flagged; // scored anomalies: each is also an alert record
  private final Map<String, Long> episodeRecords = new java.util.TreeMap<>();
  private long anomalyOrAlarm; // what one alert per flagged event (before episodes) would have sent
  private long dead;
  private final Map<String, Long> deadByReason = new TreeMap<>();
  private final Map<String, Long> byVersion = new TreeMap<>();
  private long truePositives;
  private long falsePositives;
  private long falseNegatives;
  private long trueNegatives;
  private String lastVersion = "-";
  private final List<Alert> recentAlerts = new ArrayList<>();
  private final Deque<long[]> history = new ArrayDeque<>(); // {time ms, scored}
  private volatile Exception failure;

  DemoMonitor(Properties clientProps, JobConfig config, Map<Long, Boolean> labels) {
    this.props = new Properties();
    props.putAll(clientProps);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "flowguard-demo-monitor");
    this.scores = config.scoresTopic();
    this.alerts = config.alertsTopic();
    this.deadLetters = config.deadLettersTopic();
    this.labels = labels;
    this.thread = new Thread(this::run, "demo-monitor");
    thread.setDaemon(true);
  }

  /** Labels by event time, filled by the producer before it sends each event. */
  static Map<Long, Boolean> newLabels() {
    return new ConcurrentHashMap<>();
  }

  void start() {
    thread.start();
  }

  private void run() {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(scores, alerts, deadLetters));
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          accept(r.topic(), json.readTree(r.value()));
        }
      }
    } catch (InterruptException e) {
      // closing
    } catch (IOException | RuntimeException e) {
      if (running.get()) {
        failure = e;
      }
    }
  }

  private synchronized void accept(String topic, JsonNode j) {
    if (topic.equals(deadLetters)) {
      dead++;
      deadByReason.merge(j.get("reason").asText(), 1L, Long::sum);
      return;
    }
    if (topic.equals(alerts) && j.has("episode")) {
      // issue 19: typicality alarms arrive as episode records, counted apart from anomalies.
      alertRecords++;
      episodeRecords.merge(j.get("episode").asText(), 1L, Long::sum);
      return;
    }
    boolean anomaly = j.get("anomaly").asBoolean();
    boolean alarm = false;
    for (JsonNode t : j.get("typicality")) {
      alarm |= t.get("alarm").asBoolean();
    }
    if (topic.equals(alerts)) {
      alertRecords++;
      recentAlerts.add(new Alert(j.get("key").asText(), j.get("modelVersion").asText(),
          j.get("nll").asDouble(Double.POSITIVE_INFINITY), j.get("tailProbability").asDouble(0),
          anomaly, alarm, topFeature(j)));
      return;
    }
    scored++;
    lastVersion = j.get("modelVersion").asText();
    byVersion.merge("v" + lastVersion, 1L, Long::sum);
    anomalies += anomaly ? 1 : 0;
    typicalityAlarms += alarm ? 1 : 0;
    flagged += anomaly ? 1 : 0;
    anomalyOrAlarm += anomaly || alarm ? 1 : 0;
    Boolean label = labels.get(j.get("ts").asLong());
    if (label != null) {
      if (label) {
        truePositives += anomaly ? 1 : 0;
        falseNegatives += anomaly ? 0 : 1;
      } else {
        falsePositives += anomaly ? 1 : 0;
        trueNegatives += anomaly ? 0 : 1;
      }
    }
  }

  synchronized long scored() {
    return scored;
  }

  /** Events scored by a model version ("v1"). */
  synchronized long scoredBy(String version) {
    return byVersion.getOrDefault(version, 0L);
  }

  /**
   * Whether the monitor has seen everything the job owes for what was sent: a score per valid event,
   * a dead letter per malformed record, an alert per anomaly (the sinks commit separately).
   */
  synchronized boolean caughtUp(long sentEvents, long sentMalformed) {
    return scored >= sentEvents && dead >= sentMalformed
        && alertRecords - episodeRecords.values().stream().mapToLong(Long::longValue).sum() >= flagged;
  }

  /** One status line; {@code sentPerSecond} is the producer's rate over the last second. */
  synchronized String statusLine(double elapsedSeconds, double sentPerSecond) {
    long now = System.currentTimeMillis();
    history.addLast(new long[] {now, scored});
    while (history.size() > 1 && now - history.peekFirst()[0] > 3_000) {
      history.removeFirst();
    }
    long[] oldest = history.peekFirst();
    double scoredPerSecond = now == oldest[0] ? 0 : (scored - oldest[1]) * 1000.0 / (now - oldest[0]);
    Alert top = recentAlerts.stream().filter(Alert::anomaly)
        .max(Comparator.comparingDouble(Alert::nll)).orElse(null);
    recentAlerts.clear();
    String topText = top == null ? "" : String.format(Locale.ROOT, "  top alert: %s nll=%.1f p=%.1e%s",
        top.key(), top.nll(), top.tail(), top.why());
    return String.format(Locale.ROOT, "%6.1fs %8.0f %8.0f %8d %9d %7d %5d   %-4s%s",
        elapsedSeconds, sentPerSecond, scoredPerSecond, scored, anomalies, typicalityAlarms, dead,
        "v" + lastVersion, topText);
  }

  static String header() {
    return "  time   sent/s scored/s   scored anomalies  alarms  dead   model";
  }

  /** The closing summary lines. */
  synchronized List<String> summary(long sentEvents, long sentMalformed, double falseAlarmRate) {
    List<String> out = new ArrayList<>();
    long labelled = truePositives + falseNegatives;
    long opened = episodeRecords.getOrDefault("OPENED", 0L);
    out.add(String.format(Locale.ROOT,
        "Events sent %d (+%d malformed); scored %d %s; dead letters %d %s", sentEvents,
        sentMalformed, scored, byVersion, dead, deadByReason));
    out.add(String.format(Locale.ROOT,
        "Alerts %d: %d anomalies; %d typicality episodes opened (%d events in alarming windows;"
            + " episode records %s)", anomalies + opened, anomalies, opened, typicalityAlarms,
        episodeRecords));
    long labelledAnomalies = truePositives + falseNegatives;
    out.add(String.format(Locale.ROOT,
        "Alerts per labelled anomaly: %.2f (anomalies + episodes opened, over %d labelled; one alert"
            + " per anomalous or alarming event would be %d, %.2f per labelled anomaly)",
        labelledAnomalies == 0 ? Double.NaN : (double) (anomalies + opened) / labelledAnomalies,
        labelledAnomalies, anomalyOrAlarm,
        labelledAnomalies == 0 ? Double.NaN : (double) anomalyOrAlarm / labelledAnomalies));
    double precision = truePositives + falsePositives == 0 ? Double.NaN
        : (double) truePositives / (truePositives + falsePositives);
    double recall = labelled == 0 ? Double.NaN : (double) truePositives / labelled;
    out.add(String.format(Locale.ROOT,
        "Precision %.3f, recall %.3f of the anomaly flag against the labels (%d labelled anomalies,"
            + " %d normal events, false-alarm rate %s): TP %d, FP %d, FN %d",
        precision, recall, labelled, falsePositives + trueNegatives, falseAlarmRate,
        truePositives, falsePositives, falseNegatives));
    return out;
  }

  synchronized double precision() {
    return truePositives + falsePositives == 0 ? Double.NaN
        : (double) truePositives / (truePositives + falsePositives);
  }

  synchronized double recall() {
    long labelled = truePositives + falseNegatives;
    return labelled == 0 ? Double.NaN : (double) truePositives / labelled;
  }

  synchronized Map<String, Long> scoredByVersion() {
    return new TreeMap<>(byVersion);
  }

  synchronized long deadLetters() {
    return dead;
  }

  Exception failure() {
    return failure;
  }

  @Override
  public void close() {
    running.set(false);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
