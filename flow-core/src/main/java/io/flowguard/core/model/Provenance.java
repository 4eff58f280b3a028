package io.flowguard.core.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * Where a model came from: enough to tell two models apart, to reproduce the training run, and to check
 * that a model was trained on the data set one thinks it was. Informational: scoring never reads it.
 *
 * @param spec the flow spec as JSON ({@link FlowSpec#toJson})
 * @param trainingConfig the training hyper-parameters and the preprocessing options as a JSON object (see {@link #configMap}); held in
 *     the canonical form a JSON round trip produces, so a provenance read from a file equals the one
 *     written
 * @param seed the training seed
 * @param dataSha256 the training-data fingerprint ({@link #fingerprint}): 64 lowercase hex digits
 * @param trainingRows number of raw training rows
 * @param metrics what training reported
 * @param createdAt when the model was created, ISO-8601 (e.g. {@code 2025-01-31T12:00:00Z})
 * @param flowguardVersion the Flowguard version that trained it
 * @param formatVersion the model-file format version it was written for ({@link ModelFormat#FORMAT_VERSION})
 * @param lineage the model's place in its history (parent, trigger, data, validation); empty for a model
 *     trained on its own and for files written before lineage existed
 */
public record Provenance(String spec, Map<String, Object> trainingConfig, long seed, String dataSha256,
                         long trainingRows, TrainingMetrics metrics, String createdAt, String flowguardVersion,
                         int formatVersion, Optional<Lineage> lineage) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Training metrics. NaN marks a value that does not exist (e.g. no validation split); in a model file
   * it is written as JSON {@code null}.
   *
   * @param trainNll mean training NLL, nats per row (standardized space, as the trainer reports it)
   * @param validationNll best validation NLL, nats per row (standardized space)
   * @param steps optimizer steps taken
   * @param seconds training wall time
   */
  public record TrainingMetrics(double trainNll, double validationNll, long steps, double seconds,
                                List<CurvePoint> curve) {
    public TrainingMetrics {
      if (steps < 0 || Double.isInfinite(trainNll) || Double.isInfinite(validationNll) || !(seconds >= 0)
          || Double.isInfinite(seconds)) {
        throw new IllegalArgumentException("training metrics must be finite (or NaN when absent) with"
            + " non-negative steps and seconds, got " + trainNll + ", " + validationNll + ", " + steps + ", "
            + seconds);
      }
      curve = List.copyOf(curve);
    }

    /** Metrics without a recorded curve. */
    public TrainingMetrics(double trainNll, double validationNll, long steps, double seconds) {
      this(trainNll, validationNll, steps, seconds, List.of());
    }

    /** The metrics of a finished training run, with its learning curve. */
    public static TrainingMetrics of(TrainingResult result) {
      List<CurvePoint> points = new java.util.ArrayList<>();
      for (double[] p : result.curve()) {
        points.add(new CurvePoint((long) p[0], finiteOrNaN(p[1]), finiteOrNaN(p[2])));
      }
      return new TrainingMetrics(finiteOrNaN(result.trainNll()), finiteOrNaN(result.validationNll()), result.steps(),
          result.seconds(), points);
    }

    private static double finiteOrNaN(double v) {
      return Double.isFinite(v) ? v : Double.NaN;
    }
  }

  /**
   * One evaluation of the learning curve: mean training NLL since the previous point and validation NLL
   * (standardized space; NaN when absent).
   */
  public record CurvePoint(long step, double trainNll, double validationNll) {}

  public Provenance {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(flowguardVersion, "flowguardVersion");
    Objects.requireNonNull(dataSha256, "dataSha256");
    trainingConfig = canonical(Objects.requireNonNull(trainingConfig, "trainingConfig"));
    if (!dataSha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("data fingerprint must be 64 lowercase hex digits, got '" + dataSha256 + "'");
    }
    if (trainingRows < 0 || formatVersion < 1) {
      throw new IllegalArgumentException("training rows must be non-negative and format version at least 1");
    }
    Objects.requireNonNull(lineage, "lineage (use Optional.empty() for none)");
  }

  /** A provenance without lineage. */
  public Provenance(String spec, Map<String, Object> trainingConfig, long seed, String dataSha256,
                    long trainingRows, TrainingMetrics metrics, String createdAt, String flowguardVersion,
                    int formatVersion) {
    this(spec, trainingConfig, seed, dataSha256, trainingRows, metrics, createdAt, flowguardVersion, formatVersion,
        Optional.empty());
  }

  /** This provenance with its lineage set (replacing any). */
  public Provenance withLineage(Lineage l) {
    return new Provenance(spec, trainingConfig, seed, dataSha256, trainingRows, metrics, createdAt, flowguardVersion,
        formatVersion, Optional.of(l));
  }

  /** This provenance stamped with another creation time (ISO-8601), e.g. when a rollback re-publishes it. */
  public Provenance withCreatedAt(String at) {
    return new Provenance(spec, trainingConfig, seed, dataSha256, trainingRows, metrics, at, flowguardVersion,
        formatVersion, lineage);
  }

  /**
   * Keys of the preprocessing options ({@link Preprocessor.Options}) in {@link #trainingConfig}, beside the
   * training hyper-parameters. Models written before they were recorded lack them and read as
   * {@link Preprocessor.Options#robust()}, which is what those models were trained with unless
   * {@code --no-dequantize} / {@code --no-tail-transform} was given.
   */
  public static final String DEQUANTIZE = "dequantize";
  /** See {@link #DEQUANTIZE}. */
  public static final String TAIL_TRANSFORM = "tailTransform";
  /** See {@link #DEQUANTIZE}. */
  public static final String DEQUANTIZE_ATOMS = "dequantizeAtoms";

  /**
   * A provenance stamped now, with this Flowguard's version and the current format version; the
   * preprocessing options are the robust defaults.
   */
  public static Provenance create(FlowSpec spec, TrainingConfig config, String dataSha256, long trainingRows,
                                  TrainingMetrics metrics) {
    return create(spec, config, Preprocessor.Options.robust(), dataSha256, trainingRows, metrics);
  }

  /**
   * A provenance stamped now, recording the training configuration and the preprocessing options the model
   * was trained with, so that a retrain reproduces both.
   */
  public static Provenance create(FlowSpec spec, TrainingConfig config, Preprocessor.Options preprocessing,
                                  String dataSha256, long trainingRows, TrainingMetrics metrics) {
    return new Provenance(spec.toJson(), configMap(config, preprocessing), config.seed(), dataSha256,
        trainingRows, metrics, Instant.now().toString(), currentFlowguardVersion(), ModelFormat.FORMAT_VERSION);
  }

  /** The training configuration as a JSON object (its record components by name). */
  public static Map<String, Object> configMap(TrainingConfig config) {
    return JSON.convertValue(config, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  /**
   * The training configuration as a JSON object followed by the preprocessing options ({@link #DEQUANTIZE},
   * {@link #TAIL_TRANSFORM}, {@link #DEQUANTIZE_ATOMS}).
   */
  public static Map<String, Object> configMap(TrainingConfig config, Preprocessor.Options preprocessing) {
    Map<String, Object> m = configMap(config);
    m.put(DEQUANTIZE, preprocessing.dequantize());
    m.put(TAIL_TRANSFORM, preprocessing.tailTransform());
    m.put(DEQUANTIZE_ATOMS, preprocessing.atoms());
    return m;
  }

  /**
   * The preprocessing options recorded in {@link #trainingConfig}; a key that is absent (a model written
   * before they were recorded) takes its {@link Preprocessor.Options#robust()} value.
   *
   * @throws IllegalArgumentException if a recorded option is not a boolean
   */
  public Preprocessor.Options preprocessingOptions() {
    Preprocessor.Options robust = Preprocessor.Options.robust();
    return new Preprocessor.Options(flag(DEQUANTIZE, robust.dequantize()), flag(TAIL_TRANSFORM,
        robust.tailTransform()), flag(DEQUANTIZE_ATOMS, robust.atoms()));
  }

  private boolean flag(String key, boolean absent) {
    Object v = trainingConfig.get(key);
    if (v == null) {
      return absent;
    }
    if (!(v instanceof Boolean b)) {
      throw new IllegalArgumentException("provenance.trainingConfig." + key + " must be true or false, got " + v);
    }
    return b;
  }

  /**
   * The SHA-256 (lowercase hex) of a canonical encoding of the training data, so that the same names and
   * values give the same fingerprint on every machine. The bytes hashed are, all integers big-endian:
   * <ol>
   *   <li>the ASCII bytes {@code flowguard-data-v1};</li>
   *   <li>u32 number of names, then per name u32 UTF-8 byte length and the UTF-8 bytes;</li>
   *   <li>u64 number of rows n;</li>
   *   <li>the n x names.size() values row-major, each the big-endian IEEE-754 bits of
   *       {@link Double#doubleToLongBits} (so every NaN hashes alike; -0.0 and 0.0 differ).</li>
   * </ol>
   */
  public static String fingerprint(List<String> names, double[] x, int n) {
    int d = names.size();
    if (n < 0 || x.length < (long) n * d) {
      throw new IllegalArgumentException("expected " + n + " rows of " + d + " values, got " + x.length + " values");
    }
    MessageDigest sha = sha256();
    sha.update("flowguard-data-v1".getBytes(StandardCharsets.US_ASCII));
    ByteBuffer buf = ByteBuffer.allocate(8192).order(ByteOrder.BIG_ENDIAN);
    buf.putInt(d);
    for (String name : names) {
      byte[] b = name.getBytes(StandardCharsets.UTF_8);
      flushIfFull(sha, buf, 4);
      buf.putInt(b.length);
      flush(sha, buf);
      sha.update(b);
    }
    buf.putLong(n);
    long total = (long) n * d;
    for (long i = 0; i < total; i++) {
      flushIfFull(sha, buf, 8);
      buf.putLong(Double.doubleToLongBits(x[(int) i]));
    }
    flush(sha, buf);
    return HexFormat.of().formatHex(sha.digest());
  }

  /** The version Maven stamped into this build, or {@code development} when run from an unpackaged tree. */
  public static String currentFlowguardVersion() {
    Properties p = new Properties();
    try (InputStream in = Provenance.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "development";
    }
    String v = p.getProperty("version", "development");
    return v.startsWith("${") ? "development" : v;
  }

  /**
   * The JSON round-trip form of a map: numbers become what a JSON reader makes of them (Integer, Long or
   * Double), so equality survives writing and reading a model file.
   */
  private static Map<String, Object> canonical(Map<String, Object> map) {
    try {
      byte[] bytes = JSON.writeValueAsBytes(map);
      Map<String, Object> copy = JSON.readValue(bytes, new TypeReference<LinkedHashMap<String, Object>>() {});
      return Collections.unmodifiableMap(copy);
    } catch (IOException e) {
      throw new IllegalArgumentException("training config is not representable as JSON: " + e.getMessage(), e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform is required to provide SHA-256.
      throw new IllegalStateException(e);
    }
  }

  private static void flushIfFull(MessageDigest sha, ByteBuffer buf, int need) {
    if (buf.remaining() < need) {
      flush(sha, buf);
    }
  }

  private static void flush(MessageDigest sha, ByteBuffer buf) {
    buf.flip();
    sha.update(buf);
    buf.clear();
  }
}
