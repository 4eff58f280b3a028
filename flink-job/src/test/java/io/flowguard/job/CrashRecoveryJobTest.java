package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.connectors.model.ModelTopic;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery as an operator does it: the job runs in its own JVM ({@code FlowguardJob} on the
 * built classpath, a local MiniCluster, checkpoints under {@code execution.checkpointing.dir}) while
 * events keep arriving; it is killed with {@code destroyForcibly()} (SIGKILL) mid-stream, restarted
 * from the newest completed checkpoint ({@link RestorableCheckpoint}) with {@code
 * --execution.state-recovery.path}, killed again as soon as the restarted job reports RUNNING (during
 * its recovery, so it typically leaves no checkpoint of its own), and restarted once more from the
 * newest completed checkpoint. The output that read_committed consumers see then holds every event
 * exactly once: none lost, none duplicated.
 *
 * <p>The sinks' transaction timeout is short (20 s) so that a transaction a killed run left open cannot
 * hold read_committed consumers back for the default 15 minutes if the restored job did not abort it.
 * The test prints the restore time: from launching the third JVM to its first completed checkpoint.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class CrashRecoveryJobTest {

  static final String NAME = "crash";
  static final int EVENTS = 6_000;
  /** Events sent at once before run 1 starts. */
  static final int FIRST = 1_000;
  /** Events sent while run 1 runs (at 100 events/s, so that it is killed while they arrive). */
  static final int SECOND = 3_000;
  static final int KEYS = 20;
  /** Events produced per tick of the producer; one tick every {@link #TICK}: 100 events/s. */
  static final int PER_TICK = 10;
  static final Duration TICK = Duration.ofMillis(100);
  static final Pattern RUNNING = Pattern.compile("flowguard-job: job ([0-9a-f]{32}) RUNNING");

  @TempDir
  Path work;

  private final List<Process> children = new ArrayList<>();
  private Thread producer;

  @AfterEach
  void stopEverything() throws InterruptedException {
    for (Process p : children) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    if (producer != null) {
      producer.interrupt();
      producer.join(10_000);
    }
  }

  @Test
  void killedTwiceOnceDuringRecoveryTheCommittedOutputHoldsEveryEventExactlyOnce() throws Exception {
    JobConfig config = JobTests.config(NAME);
    JobTests.createTopics(config);
    ModelTopic.publish(config.clientProperties(), config.modelTopic(), TestModels.NAME,
        TestModels.v1());
    Path checkpoints = work.resolve("checkpoints");
    String checkpointDir = checkpoints.toUri().toString();
    AtomicInteger produced = new AtomicInteger();
    CountDownLatch secondPhase = new CountDownLatch(1);
    CountDownLatch thirdPhase = new CountDownLatch(1);
    producer = startProducer(config.eventsTopics().get(0), produced, secondPhase, thirdPhase);

    // Run 1: events keep arriving while it runs; SIGKILL once it has completed a checkpoint and
    // committed output beyond the first phase.
    Launched first = launch(config, checkpointDir, Optional.empty(), "run1");
    secondPhase.countDown();
    awaitCommittedAtLeast(config.scoresTopic(), FIRST + 200, Duration.ofSeconds(240));
    await(() -> newest(checkpoints).isPresent(), Duration.ofSeconds(180),
        "run 1 completes a checkpoint");
    int committedAtFirstKill = JobTests.readCommitted(config.scoresTopic()).size();
    boolean arrivingAtFirstKill = produced.get() < FIRST + SECOND;
    kill(first.process);
    RestorableCheckpoint.Found afterFirstKill = newest(checkpoints).orElseThrow();

    // Run 2: restored, killed as soon as its job reports RUNNING (tasks still deploying, restoring).
    Launched second = launch(config, checkpointDir, Optional.of(afterFirstKill.path().toString()),
        "run2");
    kill(second.process);
    boolean secondLeftACheckpoint = newest(checkpoints.resolve(second.jobId))
        .isPresent();
    RestorableCheckpoint.Found restoreFrom = newest(checkpoints).orElseThrow();

    // Run 3: restored from the newest completed checkpoint, left running to the end.
    long t0 = System.nanoTime();
    Launched third = launch(config, checkpointDir, Optional.of(restoreFrom.path().toString()),
        "run3");
    thirdPhase.countDown();
    double runningSeconds = (System.nanoTime() - t0) / 1e9;
    Path thirdDir = checkpoints.resolve(third.jobId);
    await(() -> newest(thirdDir).isPresent(), Duration.ofSeconds(180),
        "run 3 completes its first checkpoint after the restore");
    double restoreSeconds = (System.nanoTime() - t0) / 1e9;
    long firstIdAfterRestore = newest(thirdDir).orElseThrow().id();
    producer.join(180_000);
    assertEquals(EVENTS, produced.get(), "the producer sent every event");
    List<ConsumerRecord<byte[], byte[]>> scores = JobTests.awaitCommitted(config.scoresTopic(),
        EVENTS, Duration.ofSeconds(240));
    double caughtUpSeconds = (System.nanoTime() - t0) / 1e9;
    // Two more checkpoints: anything duplicated would be committed by now.
    long lastId = newest(thirdDir).orElseThrow().id();
    await(() -> newest(thirdDir).map(c -> c.id() >= lastId + 2).orElse(false),
        Duration.ofSeconds(120), "two more checkpoints");
    scores = JobTests.readCommitted(config.scoresTopic());

    Map<Long, Integer> perEvent = new HashMap<>();
    for (JsonNode s : JobTests.jsons(scores)) {
      perEvent.merge(s.get("ts").asLong(), 1, Integer::sum);
    }
    long lost = 0;
    for (long ts = 0; ts < EVENTS; ts++) {
      if (!perEvent.containsKey(ts)) {
        lost++;
      }
    }
    long duplicated = perEvent.values().stream().mapToLong(n -> n - 1).sum();
    System.out.printf(Locale.ROOT, "crash recovery: %d events, %d kills (SIGKILL); run 1 killed"
            + " with %d scores committed, events %s; run 2 killed at RUNNING, %s; restored from %s (run 3's first checkpoint: chk-%d);"
            + " run 3: JVM launch to RUNNING %.1f s, to its first checkpoint (restore time)"
            + " %.1f s (RUNNING to first checkpoint %.1f s), to all %d events committed %.1f s; lost %d, duplicated %d%n",
        EVENTS, 2, committedAtFirstKill,
        arrivingAtFirstKill ? "still arriving" : "paused (the rest held back)", secondLeftACheckpoint ? "left a checkpoint"
            : "left no checkpoint", restoreFrom.path().getName(), firstIdAfterRestore, runningSeconds, restoreSeconds,
        restoreSeconds - runningSeconds,
        EVENTS, caughtUpSeconds, lost, duplicated);
    assertTrue(committedAtFirstKill > 0 && committedAtFirstKill < EVENTS,
        "run 1 was killed mid-stream, with output committed");
    assertEquals(0, lost, "events lost");
    assertEquals(0, duplicated, "events duplicated");
    assertEquals(EVENTS, scores.size());
    assertTrue(JobTests.readCommitted(config.deadLettersTopic()).isEmpty(), "no dead letters");
  }

  /** A child JVM running the job, and its job id once it reported RUNNING. */
  record Launched(Process process, String jobId) {}

  /** Starts FlowguardJob in a child JVM and waits until it prints that its job is RUNNING. */
  private Launched launch(JobConfig c, String checkpointDir, Optional<String> restore, String run)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx640m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", System.getProperty("java.class.path"), FlowguardJob.class.getName(),
        "--flowguard.kafka.bootstrap-servers", c.bootstrapServers(),
        "--flowguard.kafka.events-topic", String.join(";", c.eventsTopics()),
        "--flowguard.kafka.scores-topic", c.scoresTopic(),
        "--flowguard.kafka.alerts-topic", c.alertsTopic(),
        "--flowguard.kafka.dead-letters-topic", c.deadLettersTopic(),
        "--flowguard.kafka.model-topic", c.modelTopic(),
        "--flowguard.kafka.group-id", c.groupId(),
        "--flowguard.kafka.transactional-id-prefix", c.transactionalIdPrefix(),
        "--flowguard.kafka.transaction-timeout", "20 s",
        "--flowguard.kafka.starting-offsets", "earliest",
        "--flowguard.scoring.false-alarm-rate", Double.toString(c.falseAlarmRate()),
        "--flowguard.scoring.typicality.windows", "8;32",
        "--flowguard.scoring.typicality.alpha", Double.toString(c.typicalityAlpha()),
        "--parallelism.default", "2",
        "--execution.checkpointing.interval", "1 s",
        "--execution.checkpointing.dir", checkpointDir,
        "--restart-strategy.type", "fixed-delay",
        "--restart-strategy.fixed-delay.attempts", "3"));
    restore.ifPresent(path -> cmd.addAll(List.of("--execution.state-recovery.path", path)));
    File log = work.resolve(run + ".log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log)).start();
    children.add(p);
    String[] jobId = new String[1];
    await(() -> {
      if (!p.isAlive()) {
        throw new AssertionError(run + " exited with " + p.exitValue() + ":\n" + tail(log));
      }
      Matcher m = RUNNING.matcher(read(log));
      if (m.find()) {
        jobId[0] = m.group(1);
        return true;
      }
      return false;
    }, Duration.ofSeconds(240), run + " reports RUNNING (log " + log + ")");
    return new Launched(p, jobId[0]);
  }

  private static void kill(Process p) throws InterruptedException {
    p.destroyForcibly();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed JVM exits");
  }

  /**
   * Sends {@link #EVENTS} events with ts = 0, 1, ... in three phases: {@link #FIRST} at once, then
   * {@link #SECOND} and the rest at a steady rate ({@link #PER_TICK} per {@link #TICK}), each once
   * its latch is released, so that events are still to come at each kill whatever the machine's
   * speed.
   */
  private static Thread startProducer(String topic, AtomicInteger produced,
      CountDownLatch second, CountDownLatch third) {
    Thread t = new Thread(() -> {
      Random rng = new Random(19);
      try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
          JobTests.kafka().clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < EVENTS; i++) {
          if (i == FIRST) {
            second.await();
          } else if (i == FIRST + SECOND) {
            third.await();
          }
          String key = "k" + (i % KEYS);
          p.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
              TestModels.jsonBytes(key, i, TestModels.normal(rng))));
          if ((i + 1) % PER_TICK == 0) {
            p.flush();
            produced.set(i + 1);
            if (i >= FIRST) {
              Thread.sleep(TICK.toMillis());
            }
          }
        }
        p.flush();
        produced.set(EVENTS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "crash-test-producer");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static int awaitCommittedAtLeast(String topic, int n, Duration timeout)
      throws InterruptedException {
    return JobTests.awaitCommitted(topic, n, timeout).size();
  }

  private static Optional<RestorableCheckpoint.Found> newest(Path dir) {
    try {
      return RestorableCheckpoint.newest(new org.apache.flink.core.fs.Path(dir.toUri()));
    } catch (IOException e) {
      return Optional.empty(); // a directory that Flink is writing into at this moment
    }
  }

  private static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  private static String read(File f) {
    try {
      return f.exists() ? Files.readString(f.toPath(), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static String tail(File f) {
    String s = read(f);
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }
}
