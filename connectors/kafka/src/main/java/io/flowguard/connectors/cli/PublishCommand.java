package io.flowguard.connectors.cli;

import io.flowguard.connectors.kafka.KafkaSecrets;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.model.FlowModel;
import io.flowguard.flink.scoring.ModelSwapPolicy;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelSignature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flowguard publish MODEL --bootstrap-servers .. --topic ..}: put a model on the model topic. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = {
        "Publish a model file to the model topic, where every running job hot-swaps it in.",
        "",
        "The compacted model topic holds one record per model (key = model name, value = the file); a job",
        "takes it when its version is the highest it has seen. The file is verified first: a corrupt or",
        "incompatible model is never published. It is also kept in the history topic (TOPIC-history, the",
        "last --keep versions), so 'flowguard models list' shows it and 'flowguard models rollback' can",
        "bring it back later.",
        "",
        "A running job refuses a version whose features (names, order, count) differ from the active",
        "version's, unless it is published with --schema-change: that records the declared change in the",
        "file's lineage (so the published bytes differ from the file's). Change the producers' events and",
        "the model together (see docs/configuration.md, 'Schemas and model swaps').",
        "",
        "  flowguard publish pump.fgm --bootstrap-servers localhost:9092 --topic flowguard-models",
        ""})
public final class PublishCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MODEL", description = "A model file written by 'train'.")
  Path modelFile;

  @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers.")
  String bootstrapServers;

  @Option(names = "--topic", defaultValue = ModelTopic.DEFAULT_TOPIC, paramLabel = "TOPIC",
      description = "The model topic (created compacted if missing; default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(names = "--history-topic", paramLabel = "TOPIC", description = "The model history topic (default: TOPIC-history).")
  String historyTopic;

  @Option(names = "--keep", defaultValue = "10", paramLabel = "N", description = "Versions kept in the history (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
      description = "Extra Kafka client properties (e.g. security.protocol=SASL_SSL); repeatable.")
  Map<String, String> kafkaProperties = Map.of();

  @Option(names = "--schema-change",
      description = "Declare that this version changes the model's feature schema, so that running jobs"
          + " accept it in place of a version with other features (recorded in the file's lineage).")
  boolean schemaChange;

  @Option(names = "--sign", paramLabel = "KEY",
      description = "Sign the model with this Ed25519 private key (PEM, from 'flowguard keygen'): jobs with"
          + " model.verification-keys accept only signed models. The signature travels in the record"
          + " header flowguard.signature; the file is unchanged.")
  Path signingKey;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    byte[] bytes = Files.readAllBytes(modelFile);
    FlowModel model = ModelFormat.read(bytes);
    if (schemaChange) {
      model = ModelSwapPolicy.declaringSchemaChange(model);
      bytes = ModelFormat.toBytes(model);
    }
    Properties props = new Properties();
    props.putAll(kafkaProperties);
    props.put("bootstrap.servers", bootstrapServers);
    String history = historyTopic != null ? historyTopic : ModelHistory.historyTopicFor(topic);
    byte[] signature = signingKey == null ? new byte[0]
        : ModelSignature.sign(ModelSignature.readPrivateKey(signingKey), bytes);
    ModelHistory.Published p = ModelHistory.publish(props, topic, history, bytes, keep, signature);
    spec.commandLine().getOut().printf("Published %s v%d (%d bytes%s) to %s at offset %d and %s at offset %d"
        + " (client: %s)%n", model.name(), model.version(), bytes.length,
        (schemaChange ? ", a declared schema change to " + model.preprocessor().featureNames() : "")
            + (signingKey == null ? "" : ", signed"), topic,
        p.modelOffset(), history, p.historyOffset(), KafkaSecrets.redacted(props));
    return 0;
  }
}
