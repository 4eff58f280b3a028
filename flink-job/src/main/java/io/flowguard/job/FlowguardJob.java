package io.flowguard.job;

import io.flowguard.connectors.kafka.BrokerCheck;
import io.flowguard.connectors.model.ModelEvents;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import java.io.PrintStream;
import java.time.Duration;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster entry point: {@code flink run flowguard-job.jar --config job.properties [--key value
 * ...]}, or the job jar in an application-mode image's {@code usrlib}; also runs locally ({@code java
 * -cp ... io.flowguard.job.FlowguardJob ...}, a MiniCluster in this JVM). Every option is in
 * docs/configuration.md ({@code --help} lists them); Flink's own options ({@code
 * --execution.checkpointing.dir}, {@code --execution.state-recovery.path}, ...) pass through to
 * Flink.
 *
 * <p>A local run prints {@code flowguard-job: job <id> RUNNING} once the job runs, with the
 * directory its checkpoints go to, then waits for the job to end.
 */
public final class FlowguardJob {

  private static final Logger LOG = LoggerFactory.getLogger(FlowguardJob.class);

  /** The line a local run prints once its job is running (scripts and the crash test wait for it). */
  public static final String RUNNING = "RUNNING";

  private FlowguardJob() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      usage(System.out);
      return;
    }
    JobConfig config;
    try {
      config = JobConfig.fromArgs(args);
    } catch (IllegalArgumentException e) {
      System.err.println("flowguard-job: " + e.getMessage());
      System.err.println("Run with --help for every option.");
      System.exit(2);
      return;
    }
    LOG.info("Flowguard job configuration:\n{}", config.describe());
    // issue 19 (extra A): an unreachable broker fails here with one message, not a running job
    // that logs reconnection warnings forever.
    try {
      BrokerCheck.requireReachable(config.clientProperties(), BrokerCheck.DEFAULT_TIMEOUT);
    } catch (IllegalStateException e) {
      System.err.println("flowguard-job: " + e.getMessage());
      LOG.error("{}", e.getMessage());
      System.exit(1);
      return;
    }
    if (config.retrainEnabled()) {
      // The sink would let Kafka auto-create them, without compaction: models would expire.
      ModelTopic.ensureTopic(config.clientProperties(), config.modelTopic());
      ModelTopic.ensureTopic(config.clientProperties(),
          ModelHistory.historyTopicFor(config.modelTopic()));
    }
    // The scoring operator writes a model event when it refuses a schema change: a sink meeting a
    // missing topic on a broker that does not create topics would fail the job on that model record.
    try {
      ModelEvents.ensureTopic(config.clientProperties(), config.modelEventsTopic());
    } catch (IllegalStateException e) {
      String message = e.getMessage() + " (the job's model-events topic is "
          + JobOptions.MODEL_EVENTS_TOPIC.key() + ")";
      System.err.println("flowguard-job: " + message);
      LOG.error("{}", message);
      System.exit(1);
      return;
    }
    Configuration flink = config.flinkConfiguration();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    if (env instanceof LocalStreamEnvironment
        && !flink.contains(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION)) {
      // A local run has no cluster configuration to say so: keep its checkpoints when the job
      // fails or is cancelled, so that it can be resumed (RestorableCheckpoint). On a cluster,
      // config.yaml decides.
      Configuration retain = new Configuration();
      retain.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
          ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
      env.configure(retain);
    }
    pipeline.build(env);
    if (env instanceof LocalStreamEnvironment) {
      runLocally(env, config, flink);
    } else {
      env.execute(config.jobName());
    }
  }

  /** Submits to the local MiniCluster, says when the job runs and where its checkpoints go, waits. */
  private static void runLocally(StreamExecutionEnvironment env, JobConfig config, Configuration flink)
      throws Exception {
    JobClient client = env.executeAsync(config.jobName());
    String checkpoints = flink.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY)
        .map(d -> d + "/" + client.getJobID())
        .orElse("the JobManager's memory (set execution.checkpointing.dir to resume after a crash)");
    JobStatus status = client.getJobStatus().get();
    while (status != JobStatus.RUNNING && !status.isTerminalState()) {
      Thread.sleep(Duration.ofMillis(50).toMillis());
      status = client.getJobStatus().get();
    }
    System.out.println("flowguard-job: job " + client.getJobID() + " " + status + "; checkpoints: "
        + checkpoints);
    System.out.flush();
    client.getJobExecutionResult().get();
  }

  static void usage(PrintStream out) {
    out.print(OptionDocs.help());
  }
}
