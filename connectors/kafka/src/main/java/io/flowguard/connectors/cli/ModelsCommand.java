package io.flowguard.connectors.cli;

import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEvents;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import io.flowguard.core.model.ModelSignature;
import io.flowguard.core.model.Provenance;
import io.flowguard.core.model.Retraining;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code flowguard models list|rollback}: a model's stored versions, and putting an older one back. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    subcommands = {ModelsCommand.ListCommand.class, ModelsCommand.RollbackCommand.class},
    description = {
        "List a model's published versions and roll back to an earlier one.",
        "",
        "Every publication through 'flowguard retrain', a job's retraining or 'models rollback' keeps the",
        "model file in the history topic (MODEL-TOPIC-history, last 10 versions by default) beside the",
        "compacted model topic, which holds only the newest version.",
        "",
        "  flowguard models list --bootstrap-servers kafka:9092 --model pump",
        "  flowguard models rollback --bootstrap-servers kafka:9092 --model pump --to 3",
        ""})
public final class ModelsCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The options every models subcommand takes. */
  static final class Store {
    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers.")
    String bootstrapServers;

    @Option(names = "--model-topic", defaultValue = ModelTopic.DEFAULT_TOPIC, paramLabel = "TOPIC",
        description = "The compacted model topic (default: ${DEFAULT-VALUE}).")
    String modelTopic;

    @Option(names = "--history-topic", paramLabel = "TOPIC", description = "The history topic (default: MODEL-TOPIC-history).")
    String historyTopic;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "The model name.")
    String model;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
        description = "Extra Kafka client properties (e.g. security.protocol=SASL_SSL); repeatable.")
    Map<String, String> kafkaProperties = Map.of();

    Properties props() {
      return KafkaOptions.properties(bootstrapServers, kafkaProperties);
    }

    String history() {
      return historyTopic != null ? historyTopic : ModelHistory.historyTopicFor(modelTopic);
    }

    /** The version of the model topic's current record, if it holds a readable one. */
    OptionalInt activeVersion(Properties props) {
      Optional<ModelRecord> current = ModelTopic.current(props, modelTopic, model);
      if (current.isEmpty()) {
        return OptionalInt.empty();
      }
      try {
        return OptionalInt.of(ModelFormat.read(current.get().bytes()).version());
      } catch (ModelFormatException e) {
        return OptionalInt.empty();
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
          "List the stored versions of a model, oldest first, and which one the jobs run.",
          "",
          "Per version: when it was created, its parent, why it was made (initial, scheduled, drift, offline,",
          "rollback), the rows it was trained on and its mean held-out NLL at validation (nats per event; the",
          "parent's on the same rows in brackets). '*' marks the active version, the one on the model topic",
          "that jobs score with.",
          ""})
  static final class ListCommand implements Callable<Integer> {

    @Mixin
    Store store;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Properties props = store.props();
      ModelHistory.History h = ModelHistory.read(props, store.history(), store.model);
      OptionalInt active = store.activeVersion(props);
      for (String u : h.unreadable()) {
        err.println("unreadable history record " + u);
      }
      if (h.entries().isEmpty()) {
        throw new IllegalArgumentException("no stored versions of model '" + store.model + "' in '" + store.history()
            + "'" + (active.isPresent() ? " (the model topic holds v" + active.getAsInt() + ", published without"
            + " history)" : "") + "; models published with 'flowguard retrain', 'models rollback' or a job's"
            + " retraining are stored there");
      }
      out.printf("%-1s %7s  %-24s %-7s %-32s %10s  %s%n", "", "version", "created", "parent", "trigger", "data rows",
          "held-out NLL (parent)");
      for (ModelHistory.Entry e : h.entries()) {
        Provenance p = e.provenance();
        Optional<Lineage> l = p.lineage();
        String parent = l.flatMap(x -> x.parentVersion().isPresent()
            ? Optional.of("v" + x.parentVersion().getAsInt()) : Optional.empty()).orElse("-");
        String trigger = l.map(Lineage::summary).orElse("trained");
        long rows = l.map(Lineage::dataRows).orElse(p.trainingRows());
        String nll = l.filter(x -> !Double.isNaN(x.heldOutNll())).map(x -> String.format(Locale.ROOT, "%.4f", x.heldOutNll())
            + (Double.isNaN(x.parentHeldOutNll()) ? "" : String.format(Locale.ROOT, " (%.4f)", x.parentHeldOutNll())))
            .orElse("-");
        boolean isActive = active.isPresent() && active.getAsInt() == e.version();
        out.printf("%-1s %7d  %-24s %-7s %-32s %10d  %s%n", isActive ? "*" : "", e.version(),
            p.createdAt().length() > 24 ? p.createdAt().substring(0, 19) + "Z" : p.createdAt(), parent, trigger, rows, nll);
      }
      if (active.isEmpty()) {
        err.println("no active version: the model topic '" + store.modelTopic + "' holds no readable record of '"
            + store.model + "'");
      }
      return 0;
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = {
          "Put an older version back into service, re-published as the newest version + 1.",
          "",
          "Its parameters, preprocessing and calibration are re-published as a NEW version (the newest + 1)",
          "with lineage 'rollback of VERSION', because every job activates the highest version it has seen: a",
          "re-published old version number would be ignored. All running jobs converge on it within one",
          "model-topic poll. A ROLLED_BACK record goes to --events-topic.",
          "",
          "Jobs that verify signatures (model.verification-keys) refuse an unsigned record: give --sign KEY,",
          "as to 'flowguard publish' (the re-published file is a new version, so it needs its own signature).",
          "",
          "  flowguard models rollback --bootstrap-servers kafka:9092 --model pump --to 3",
          ""})
  static final class RollbackCommand implements Callable<Integer> {

    @Mixin
    Store store;

    @Option(names = "--to", required = true, paramLabel = "VERSION", description = "The stored version to put back.")
    int to;

    @Option(names = "--keep", defaultValue = "10", paramLabel = "N", description = "Versions kept in the history (default: ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = {"--model-events-topic", "--events-topic"}, defaultValue = ModelHistory.DEFAULT_EVENTS_TOPIC, paramLabel = "TOPIC",
        description = "Where the ROLLED_BACK record goes (default: ${DEFAULT-VALUE}).")
    String eventsTopic;

    @Option(names = "--sign", paramLabel = "KEY",
        description = "Sign the re-published version with this Ed25519 private key (PEM, from 'flowguard keygen'),"
            + " as 'publish --sign' does: jobs with model.verification-keys accept only signed models.")
    Path signingKey;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      // The key first: a rollback that cannot be signed should not be half done.
      Optional<PrivateKey> key = signingKey == null ? Optional.empty()
          : Optional.of(ModelSignature.readPrivateKey(signingKey));
      Properties props = store.props();
      ModelHistory.History h = ModelHistory.read(props, store.history(), store.model);
      Optional<ModelHistory.Entry> target = h.entries().stream().filter(e -> e.version() == to).findFirst();
      if (target.isEmpty()) {
        throw new IllegalArgumentException("version " + to + " of model '" + store.model + "' is not in '"
            + store.history() + "'; stored versions: " + (h.entries().isEmpty() ? "none" : h.entries().stream()
            .map(e -> Integer.toString(e.version())).collect(Collectors.joining(", "))));
      }
      byte[] bytes = ModelHistory.fetch(props, store.history(), store.model, to).orElseThrow(
          () -> new IllegalStateException("version " + to + " disappeared from the history while rolling back"));
      FlowModel old = ModelFormat.read(bytes);
      int newest = Math.max(h.newest().orElseThrow().version(), store.activeVersion(props).orElse(0));
      FlowModel back = Retraining.rollback(old, newest);
      byte[] backBytes = ModelFormat.toBytes(back);
      byte[] signature = key.map(k -> ModelSignature.sign(k, backBytes)).orElse(new byte[0]);
      ModelHistory.Published p = ModelHistory.publish(props, store.modelTopic, store.history(), backBytes, keep,
          signature);
      ModelEvents.send(props, eventsTopic, ModelEvent.rolledBack(store.model, back.version(), newest, to,
          System.currentTimeMillis()));
      out.printf("Rolled back %s to the parameters of v%d: published as v%d (replacing v%d%s) to %s at offset %d;"
          + " wrote a ROLLED_BACK record to %s%n", store.model, to, back.version(), newest,
          key.isPresent() ? ", signed" : "", store.modelTopic, p.modelOffset(), eventsTopic);
      return 0;
    }
  }
}
