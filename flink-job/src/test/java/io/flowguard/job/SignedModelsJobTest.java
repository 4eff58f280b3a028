package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.core.model.ModelSignature;
import io.flowguard.job.Expectations.Sent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 3: with model.verification-keys, an unsigned model, a model signed by another key
 * and an unsigned tombstone change nothing (rejected, the signed v1 keeps scoring, no restart); a
 * correctly signed newer version takes over.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SignedModelsJobTest {

  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

  @RegisterExtension
  static final MiniClusterExtension MINI_CLUSTER = JobTests.miniCluster(REPORTER);

  @TempDir
  Path dir;

  @Test
  void onlyModelsSignedByAVerificationKeyAreAccepted() throws Exception {
    KeyPair publisher = ModelSignature.generate();
    KeyPair intruder = ModelSignature.generate();
    Path pub = dir.resolve("publisher.pub");
    Files.writeString(pub, ModelSignature.publicKeyPem(publisher.getPublic()));
    JobConfig config = JobTests.config("signed")
        .with(Map.of("flowguard.scoring.model-verification-keys", pub.toString()));
    JobTests.createTopics(config);
    Properties client = config.clientProperties();
    String topic = config.modelTopic();
    byte[] v1 = TestModels.v1();
    byte[] v2 = TestModels.v2();
    ModelTopic.publish(client, topic, TestModels.NAME, v1,
        ModelSignature.sign(publisher.getPrivate(), v1));

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient client2 = env.executeAsync(config.jobName());
    JobID job = client2.getJobID();
    try {
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 1);
      ModelTopic.publish(client, topic, TestModels.NAME, v2); // unsigned
      ModelTopic.publish(client, topic, TestModels.NAME, v2,
          ModelSignature.sign(intruder.getPrivate(), v2)); // another key
      ModelTopic.retire(client, topic, TestModels.NAME); // an unsigned tombstone
      JobTests.await(() -> JobTests.counter(REPORTER, job, "modelsRejected")
          == 3L * JobTests.PARALLELISM, Duration.ofSeconds(60), "three records refused");
      assertEquals(List.of(1, 1), JobTests.activeVersions(REPORTER, job, TestModels.NAME));
      List<Sent> events = Expectations.normalEvents(2, 10, 1_000, 5);
      Expectations.produce(config.eventsTopics().get(0), events);
      JobTests.awaitCommitted(config.scoresTopic(), events.size(), Duration.ofSeconds(60));
      for (var n : JobTests.jsons(JobTests.readCommitted(config.scoresTopic()))) {
        assertEquals("1", n.get("modelVersion").asText(), "v1 still scores");
      }

      ModelTopic.publish(client, topic, TestModels.NAME, v2,
          ModelSignature.sign(publisher.getPrivate(), v2));
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 2);
      assertEquals(0, JobTests.readCommitted(config.deadLettersTopic()).size());
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      client2.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * {@code flowguard models rollback} against a verifying job: without {@code --sign} the re-published
   * version is refused like any unsigned record (the active version stays); with {@code --sign} it is
   * accepted.
   */
  @Test
  void aSignedRollbackIsAcceptedAndAnUnsignedOneRefused() throws Exception {
    KeyPair publisher = ModelSignature.generate();
    Path pub = dir.resolve("publisher.pub");
    Path key = dir.resolve("publisher.key");
    Files.writeString(pub, ModelSignature.publicKeyPem(publisher.getPublic()));
    Files.writeString(key, ModelSignature.privateKeyPem(publisher.getPrivate()));
    JobConfig config = JobTests.config("signed-rollback")
        .with(Map.of("flowguard.scoring.model-verification-keys", pub.toString()));
    JobTests.createTopics(config);
    Properties client = config.clientProperties();
    String topic = config.modelTopic();
    String history = ModelHistory.historyTopicFor(topic);
    for (byte[] v : List.of(TestModels.v1(), TestModels.v2())) {
      ModelHistory.publish(client, topic, history, v, ModelHistory.DEFAULT_KEEP,
          ModelSignature.sign(publisher.getPrivate(), v));
    }

    StreamExecutionEnvironment env = JobTests.environment(1);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    JobClient running = env.executeAsync(config.jobName());
    JobID job = running.getJobID();
    try {
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 2);
      String[] rollback = {"models", "rollback", "--bootstrap-servers", client.getProperty("bootstrap.servers"),
          "--model-topic", topic, "--model", TestModels.NAME, "--to", "1", "--events-topic",
          "signed-rollback-model-events"};
      assertEquals(0, cli(rollback), "unsigned rollback published (as v3)");
      JobTests.await(() -> JobTests.counter(REPORTER, job, "modelsRejected") == JobTests.PARALLELISM,
          Duration.ofSeconds(60), "the unsigned v3 refused by every instance");
      assertEquals(List.of(2, 2), JobTests.activeVersions(REPORTER, job, TestModels.NAME));

      String[] signed = java.util.stream.Stream.concat(java.util.Arrays.stream(rollback),
          java.util.stream.Stream.of("--sign", key.toString())).toArray(String[]::new);
      assertEquals(0, cli(signed), "signed rollback published (as v4)");
      JobTests.awaitActiveVersion(REPORTER, job, TestModels.NAME, 4);
      assertEquals(JobTests.PARALLELISM, JobTests.counter(REPORTER, job, "modelsRejected"));
      assertEquals(0, JobTests.restarts(REPORTER, job));
    } finally {
      running.cancel().get(30, TimeUnit.SECONDS);
    }
  }

  private static int cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = FlowguardCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    if (code != 0) {
      throw new AssertionError("flowguard " + String.join(" ", args) + " exited " + code + ": " + err);
    }
    return code;
  }
}
