package io.flowguard.job;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.security.CodeSource;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;

/**
 * Which keys the job accepts, and what a misspelt key most likely meant: the job's options
 * ({@link JobOptions#all()}) and their deprecated keys, Kafka client properties, and Flink's own
 * options (found in Flink's option classes on the classpath), which pass through to Flink.
 */
final class OptionKeys {

  /** What a given key is. */
  enum Kind { OPTION, DEPRECATED, KAFKA_PROPERTY, DEPRECATED_KAFKA_PROPERTY, FLINK, UNKNOWN }

  /**
   * Families of Flink settings whose keys are open-ended (a reporter's name, a file system's own
   * settings), so they cannot all be found in Flink's option classes.
   */
  private static final List<String> FLINK_OPEN_PREFIXES = List.of(
      "metrics.reporter.", "traces.reporter.", "events.reporter.", "s3.", "s3a.", "fs.",
      "state.backend.rocksdb.", "state.backend.forst.", "kubernetes.", "yarn.", "containerized.",
      "table.", "pekko.", "env.java.opts");

  /** Option classes outside flink-core's configuration package, read when present. */
  private static final List<String> EXTRA_FLINK_OPTION_CLASSES = List.of(
      "org.apache.flink.state.rocksdb.RocksDBOptions",
      "org.apache.flink.state.rocksdb.RocksDBConfigurableOptions",
      "org.apache.flink.state.forst.ForStOptions",
      "org.apache.flink.runtime.shuffle.ShuffleServiceOptions",
      "org.apache.flink.connector.kafka.source.KafkaSourceOptions");

  private static final Map<String, ConfigOption<?>> OPTIONS = new HashMap<>();
  private static final Map<String, ConfigOption<?>> DEPRECATED = new HashMap<>();
  private static volatile Set<String> flinkKeys;

  static {
    for (ConfigOption<?> o : JobOptions.all()) {
      OPTIONS.put(o.key(), o);
      for (FallbackKey k : o.fallbackKeys()) {
        ConfigOption<?> clash = DEPRECATED.put(k.getKey(), o);
        if (clash != null) {
          throw new IllegalStateException(k.getKey() + " is a deprecated key of " + clash.key()
              + " and of " + o.key());
        }
      }
    }
  }

  private OptionKeys() {}

  static Kind kind(String key) {
    if (OPTIONS.containsKey(key)) {
      return Kind.OPTION;
    }
    if (DEPRECATED.containsKey(key)) {
      return Kind.DEPRECATED;
    }
    if (key.startsWith(JobOptions.KAFKA_PROPERTY_PREFIX)
        && key.length() > JobOptions.KAFKA_PROPERTY_PREFIX.length()) {
      return Kind.KAFKA_PROPERTY;
    }
    if (key.startsWith(JobOptions.DEPRECATED_KAFKA_PREFIX)
        && key.length() > JobOptions.DEPRECATED_KAFKA_PREFIX.length()) {
      return Kind.DEPRECATED_KAFKA_PROPERTY;
    }
    if (!key.startsWith("flowguard.")
        && (flinkKeys().contains(key) || FLINK_OPEN_PREFIXES.stream().anyMatch(key::startsWith))) {
      return Kind.FLINK;
    }
    return Kind.UNKNOWN;
  }

  /** The option of a key or a deprecated key. */
  static Optional<ConfigOption<?>> option(String key) {
    ConfigOption<?> o = OPTIONS.get(key);
    return Optional.ofNullable(o != null ? o : DEPRECATED.get(key));
  }

  /**
   * The key a misspelt key most likely meant: an option whose key ends with the given one
   * ({@code false-alarm-rate}, as the CLI spells it), else the closest key by edit distance among
   * the options, their deprecated keys (answered with the current key) and Flink's options, if it is
   * close enough to be a typo.
   */
  static Optional<String> suggestion(String given) {
    String g = given.startsWith("--") ? given.substring(2) : given;
    for (String key : new TreeSet<>(OPTIONS.keySet())) {
      if (key.endsWith("." + g) || key.endsWith("-" + g)) {
        return Optional.of(key);
      }
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    Map<String, String> candidates = new HashMap<>();
    flinkKeys().forEach(k -> candidates.put(k, k));
    DEPRECATED.forEach((k, o) -> candidates.put(k, o.key()));
    OPTIONS.keySet().forEach(k -> candidates.put(k, k));
    for (String candidate : new TreeSet<>(candidates.keySet())) {
      int d = editDistance(g, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidates.get(candidate);
      }
    }
    int tolerance = Math.max(2, g.length() / 4);
    return best != null && bestDistance <= tolerance ? Optional.of(best) : Optional.empty();
  }

  /** Levenshtein distance: insertions, deletions and substitutions of one character. */
  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }

  /** Keys (and deprecated keys) of Flink's options on the classpath. */
  static Set<String> flinkKeys() {
    Set<String> keys = flinkKeys;
    if (keys == null) {
      TreeSet<String> found = new TreeSet<>();
      for (String className : flinkOptionClasses()) {
        try {
          addKeys(Class.forName(className, false, OptionKeys.class.getClassLoader()), found);
        } catch (ClassNotFoundException | LinkageError e) {
          // Not on this classpath (a state backend or connector that is not deployed).
        }
      }
      keys = Collections.unmodifiableSet(found);
      flinkKeys = keys;
    }
    return keys;
  }

  private static void addKeys(Class<?> holder, Set<String> keys) {
    for (Field f : holder.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
        try {
          ConfigOption<?> o = (ConfigOption<?>) f.get(null);
          keys.add(o.key());
          o.fallbackKeys().forEach(k -> keys.add(k.getKey()));
        } catch (IllegalAccessException | RuntimeException e) {
          // An option that cannot be read is one the job cannot validate either; skip it.
        }
      }
    }
  }

  /** Every {@code *Options} class of flink-core's configuration package, plus a few others. */
  private static Set<String> flinkOptionClasses() {
    Set<String> classes = new TreeSet<>(EXTRA_FLINK_OPTION_CLASSES);
    String dir = CoreOptions.class.getPackageName().replace('.', '/') + "/";
    CodeSource source = CoreOptions.class.getProtectionDomain().getCodeSource();
    if (source == null) {
      return classes;
    }
    try {
      File location = new File(source.getLocation().toURI());
      if (location.isFile()) {
        try (JarFile jar = new JarFile(location)) {
          Enumeration<JarEntry> entries = jar.entries();
          while (entries.hasMoreElements()) {
            String name = entries.nextElement().getName();
            if (name.startsWith(dir) && name.endsWith("Options.class")
                && name.indexOf('/', dir.length()) < 0 && name.indexOf('$') < 0) {
              classes.add(name.substring(0, name.length() - 6).replace('/', '.'));
            }
          }
        }
      } else {
        File[] files = new File(location, dir).listFiles();
        for (File f : files == null ? new File[0] : files) {
          if (f.getName().endsWith("Options.class") && f.getName().indexOf('$') < 0) {
            classes.add(CoreOptions.class.getPackageName() + "."
                + f.getName().substring(0, f.getName().length() - 6));
          }
        }
      }
    } catch (IOException | URISyntaxException | IllegalArgumentException e) {
      classes.add(CoreOptions.class.getName());
    }
    return classes;
  }
}
