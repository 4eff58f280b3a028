package io.flowguard.job;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.description.TextElement;

/**
 * Renders the job's options for people: the {@code --help} text and the table of
 * docs/configuration.md, both generated from the {@link ConfigOption}s so that they cannot drift.
 */
final class OptionDocs {

  /** Marks the generated table in docs/configuration.md. */
  static final String TABLE_START = "<!-- options-table:start -->";
  static final String TABLE_END = "<!-- options-table:end -->";

  private OptionDocs() {}

  /** The Java type of an option's values (an element's type for a list). */
  static Class<?> valueType(ConfigOption<?> o) {
    return (Class<?>) invoke(o, "getClazz");
  }

  static boolean isList(ConfigOption<?> o) {
    return (Boolean) invoke(o, "isList");
  }

  // ConfigOption keeps its type package-private; Flink's own documentation generator reads it too.
  private static Object invoke(ConfigOption<?> o, String method) {
    try {
      Method m = ConfigOption.class.getDeclaredMethod(method);
      m.setAccessible(true);
      return m.invoke(o);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot read the type of option " + o.key(), e);
    }
  }

  /** {@code Double}, {@code Duration}, {@code List<Integer>}, {@code Enum (json, csv)}. */
  static String typeName(ConfigOption<?> o) {
    Class<?> t = valueType(o);
    String name = t.isEnum()
        ? "Enum (" + java.util.Arrays.stream(t.getEnumConstants()).map(OptionDocs::display)
            .collect(Collectors.joining(", ")) + ")"
        : t.getSimpleName();
    return isList(o) ? "List<" + name + ">" : name;
  }

  /** The default as a user would write it; empty when there is none. */
  static String defaultText(ConfigOption<?> o) {
    if (!o.hasDefaultValue()) {
      return "";
    }
    return display(o.defaultValue());
  }

  /** A value as a user writes it: durations with a unit, enums in lower case. */
  static String display(Object v) {
    if (v instanceof List<?> list) {
      return list.stream().map(OptionDocs::display).collect(Collectors.joining(";"));
    }
    if (v instanceof Duration d) {
      return duration(d);
    }
    if (v instanceof Enum<?> e) {
      return e.toString().equals(e.name())
          ? e.name().toLowerCase(Locale.ROOT).replace('_', '-') : e.toString();
    }
    return String.valueOf(v);
  }

  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0 ms";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + " h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + " min";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + " s";
    }
    return ms + " ms";
  }

  /** The keys an option replaces (its deprecated keys). */
  static List<String> deprecatedKeys(ConfigOption<?> o) {
    return StreamSupport.stream(o.fallbackKeys().spliterator(), false)
        .filter(FallbackKey::isDeprecated).map(FallbackKey::getKey).toList();
  }

  static String description(ConfigOption<?> o) {
    return o.description().getBlocks().stream()
        .map(b -> b instanceof TextElement t ? t.getFormat() : b.toString())
        .collect(Collectors.joining(" "));
  }

  /** The markdown table of every option, between {@link #TABLE_START} and {@link #TABLE_END}. */
  static String markdownTable() {
    StringBuilder s = new StringBuilder();
    s.append(TABLE_START).append('\n');
    s.append("| key | type | default | meaning | replaces (deprecated) |\n");
    s.append("|---|---|---|---|---|\n");
    for (ConfigOption<?> o : JobOptions.all()) {
      String d = defaultText(o);
      s.append("| `").append(o.key()).append("` | `").append(typeName(o)).append("`")
          .append(" | ").append(d.isEmpty() ? "—" : "`" + d + "`")
          .append(" | ").append(description(o).replace("|", "\\|"))
          .append(" | ").append(deprecatedKeys(o).stream().map(k -> "`" + k + "`")
              .collect(Collectors.joining(", ")))
          .append(" |\n");
    }
    s.append("| `").append(JobOptions.KAFKA_PROPERTY_PREFIX).append("<property>` | String | — |")
        .append(" Any Kafka client property, passed to every source and sink of the job; it")
        .append(" overrides the job's own settings. Secret-looking values are masked when the")
        .append(" configuration is logged. | `").append(JobOptions.DEPRECATED_KAFKA_PREFIX)
        .append("<property>` |\n");
    s.append(TABLE_END).append('\n');
    return s.toString();
  }

  /** The {@code --help} text: usage, then every option with its type, default and description. */
  static String help() {
    StringBuilder s = new StringBuilder();
    s.append("usage: flowguard-job [--config job.properties] [--key value | --key=value ...]\n\n");
    s.append("Every option below can be a line of the --config file (key=value) or an argument;\n");
    s.append("arguments win. Durations: 500 ms, 10 s, 2 min. Lists: a;b (or a,b).\n\n");
    for (ConfigOption<?> o : JobOptions.all()) {
      String d = defaultText(o);
      s.append("  --").append(o.key()).append(" <").append(typeName(o)).append(">")
          .append(d.isEmpty() ? "" : "  (default: " + d + ")").append('\n');
      for (String line : wrap(description(o), 92)) {
        s.append("        ").append(line).append('\n');
      }
      List<String> old = deprecatedKeys(o);
      if (!old.isEmpty()) {
        s.append("        Replaces ").append(String.join(", ", old)).append(" (deprecated).\n");
      }
    }
    s.append("  --").append(JobOptions.KAFKA_PROPERTY_PREFIX).append("<property> <String>\n");
    s.append("        Any Kafka client property (secrets are masked in logs). Replaces kafka.<property>.\n");
    s.append("\nFlink's own options pass through to Flink, e.g. --execution.checkpointing.dir"
        + " file:///ckpt\n--execution.state-recovery.path file:///ckpt/<job-id>/chk-<n>"
        + " --state.backend.type rocksdb.\nSee docs/configuration.md and docs/deployment.md.\n");
    return s.toString();
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
