package io.flowguard.job;

import io.flowguard.connectors.kafka.BrokerCheck;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import java.io.PrintStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster entry point: {@code flink run flowguard-job.jar --config job.properties [--key value
 * ...]}, or the job jar in an application-mode image's {@code usrlib}. Every option is in
 * docs/configuration.md; Kafka client properties go under {@code kafka.}.
 */
public final class FlowguardJob {

  private static final Logger LOG = LoggerFactory.getLogger(FlowguardJob.class);

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
      usage(System.err);
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
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    FlowguardPipeline pipeline = new FlowguardPipeline(config);
    pipeline.configure(env);
    pipeline.build(env);
    env.execute(config.jobName());
  }

  static void usage(PrintStream out) {
    out.println("usage: flowguard-job [--config job.properties] [--key value | --key=value ...]");
    out.println("options (default):");
    for (JobConfig.Option o : JobConfig.allOptions()) {
      out.printf("  --%-36s %s%n", o.key(),
          o.defaultValue().isEmpty() ? "" : "(" + o.defaultValue() + ")");
    }
    out.println("  --kafka.<property>           any Kafka client property (secrets are masked in logs)");
    out.println("See docs/configuration.md.");
  }
}
