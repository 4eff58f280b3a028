package io.flowguard.sql;

import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.score.Scorer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

/**
 * Throughput of SQL {@code ML_PREDICT} with the 'flowguard' provider against a plain DataStream map
 * that calls {@link Scorer}, on one MiniCluster, the same model and the same source of {@link Row}s
 * (typicality off: SQL has no keyed windows). Both jobs are source -> score -> rate probe -> discarding
 * sink, chained, object reuse as asked (off by default). The figure is the steady-state rate: rows per
 * second between the probe's first 10 % of rows and its last row, so job start-up (deployment, the
 * planner's code compilation, model loading) is left out of both; median of the rounds, each round
 * running both jobs one after the other.
 *
 * <p>Run: {@code mvn -B -o -pl connectors/sql -am test-compile}, then
 * {@code java -cp <test classpath> io.flowguard.sql.MlPredictBenchmark [rows] [rounds] [objectReuse]}
 * (see docs/sql.md for the command that builds the class path).
 */
public final class MlPredictBenchmark {

  private static final TypeInformation<Row> EVENT = Types.ROW_NAMED(
      new String[] {"id", "temp", "pressure", "flow"}, Types.LONG, Types.DOUBLE, Types.DOUBLE, Types.DOUBLE);
  private static final TypeInformation<Row> SCORED = Types.ROW_NAMED(
      new String[] {"id", "log_density", "nll", "tail_probability", "anomaly"},
      Types.LONG, Types.DOUBLE, Types.DOUBLE, Types.DOUBLE, Types.BOOLEAN);

  /** Flink's object reuse, for both jobs alike (off by default, as in Flink). */
  private static boolean objectReuse;

  private MlPredictBenchmark() {}

  private static StreamExecutionEnvironment environment() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    if (objectReuse) {
      env.getConfig().enableObjectReuse();
    }
    return env;
  }

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int parallelism = 1; // the rate probe counts one subtask's rows
    objectReuse = args.length > 2 && Boolean.parseBoolean(args[2]);
    System.out.printf(Locale.ROOT, "ML_PREDICT vs DataStream map, %d rows, %d rounds, parallelism %d, "
            + "object reuse %s, %s, %d cores%n", rows, rounds, parallelism, objectReuse,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors());

    Path dir = Files.createTempDirectory("flowguard-sql-bench");
    List<String[]> models = new ArrayList<>();
    models.add(new String[] {"small (MAF 2 layers x 16)", write(dir, "small", SqlTestModels.v1())});
    models.add(new String[] {"default spec (ModelTrainer.defaultSpec(3))", write(dir, "default", defaultModel())});

    MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(new Configuration())
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(parallelism)
        .build());
    cluster.start();
    TestStreamEnvironment.setAsContext(cluster, parallelism);
    try {
      for (String[] m : models) {
        FlowModel model = ModelFormat.read(Path.of(m[1]));
        System.out.printf(Locale.ROOT, "%nmodel %s: %s%n", m[0], model);
        // One warm-up round of each (class loading, JIT, the planner's code generation), not counted.
        dataStream(model, rows / 4);
        sql(m[1], rows / 4);
        double[] ds = new double[rounds];
        double[] sql = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          dataStream(model, rows);
          ds[r] = RateProbe.rowsPerSecond();
          sql(m[1], rows);
          sql[r] = RateProbe.rowsPerSecond();
          System.out.printf(Locale.ROOT, "  round %d: DataStream %,.0f rows/s, ML_PREDICT %,.0f rows/s (%.1f %%)%n",
              r + 1, ds[r], sql[r], 100 * sql[r] / ds[r]);
        }
        double dsMedian = median(ds);
        double sqlMedian = median(sql);
        System.out.printf(Locale.ROOT, "  median: DataStream %,.0f rows/s, ML_PREDICT %,.0f rows/s: SQL/DataStream = %.1f %%%n",
            dsMedian, sqlMedian, 100 * sqlMedian / dsMedian);
      }
    } finally {
      TestStreamEnvironment.unsetAsContext();
      cluster.close();
    }
  }

  /**
   * Passes rows through and notes the time at row {@code rows / 10} and at the last row (parallelism
   * 1: the MiniCluster runs in this JVM, so the statics are read by {@link #main} after the job).
   */
  static final class RateProbe extends RichMapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static volatile long startNanos;
    private static volatile long endNanos;
    private static volatile long counted;
    private final long rows;
    private transient long seen;

    RateProbe(long rows) {
      this.rows = rows;
    }

    @Override
    public Row map(Row row) {
      seen++;
      if (seen == rows / 10) {
        startNanos = System.nanoTime();
      } else if (seen == rows) {
        endNanos = System.nanoTime();
        counted = rows - rows / 10;
      }
      return row;
    }

    static double rowsPerSecond() {
      return counted / ((endNanos - startNanos) / 1e9);
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static String write(Path dir, String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name + ".fgm");
    Files.write(p, bytes);
    return p.toString();
  }

  /** A model with the default architecture for 3 features (short training: speed is what matters). */
  private static byte[] defaultModel() {
    int n = 2000;
    Random rng = new Random(7);
    double[] x = new double[n * 3];
    for (int i = 0; i < n; i++) {
      System.arraycopy(SqlTestModels.normal(rng), 0, x, i * 3, 3);
    }
    Dataset data = new Dataset("bench", SqlTestModels.FEATURES, x, n);
    TrainingConfig training = TrainingConfig.defaults().withSteps(100).withEvalEvery(50).withSeed(7);
    return ModelFormat.toBytes(ModelTrainer.train(data, new ModelTrainer.Options("pump", 1,
        ModelTrainer.defaultSpec(3), training, 0.3), TrainingListener.NONE).model());
  }

  /** The same rows for both jobs: a cheap deterministic function of the sequence number. */
  private static DataStream<Row> events(StreamExecutionEnvironment env, long rows) {
    return env.fromSequence(0, rows - 1).map(i -> {
      long h = i * 0x9E3779B97F4A7C15L;
      double u1 = ((h >>> 11) & 0xFFFFF) / (double) 0x100000 - 0.5;
      double u2 = ((h >>> 31) & 0xFFFFF) / (double) 0x100000 - 0.5;
      double u3 = ((h >>> 43) & 0xFFFFF) / (double) 0x100000 - 0.5;
      double temp = 60 + 15 * u1;
      return Row.of(i, temp, 2 + 0.05 * temp + 0.6 * u2, 10 + 3 * u3);
    }).returns(EVENT).name("events");
  }

  private static JobExecutionResult dataStream(FlowModel model, long rows) throws Exception {
    StreamExecutionEnvironment env = environment();
    byte[] bytes = ModelFormat.toBytes(model);
    events(env, rows).map(new ScoreMap(bytes)).returns(SCORED).name("score")
        .map(new RateProbe(rows)).returns(SCORED).name("rate").sinkTo(new DiscardingSink<>());
    return env.execute("datastream-scorer");
  }

  private static JobExecutionResult sql(String modelPath, long rows) throws Exception {
    StreamExecutionEnvironment env = environment();
    StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
    tEnv.createTemporaryView("events", events(env, rows));
    tEnv.executeSql("CREATE MODEL detector INPUT (temp DOUBLE, pressure DOUBLE, flow DOUBLE) "
        + "OUTPUT (log_density DOUBLE, nll DOUBLE, tail_probability DOUBLE, anomaly BOOLEAN) "
        + "WITH ('provider' = 'flowguard', 'path' = '" + modelPath + "')");
    tEnv.toDataStream(tEnv.sqlQuery("SELECT id, log_density, nll, tail_probability, anomaly FROM "
            + "ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure, flow))"))
        .map(new RateProbe(rows)).returns(SCORED).name("rate").sinkTo(new DiscardingSink<>());
    return env.execute("sql-ml-predict");
  }

  /** The plain DataStream side: one Scorer per subtask, features by position. */
  static final class ScoreMap extends RichMapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final byte[] model;
    private transient Scorer scorer;
    private transient Scorer.Score score;
    private transient double[] features;

    ScoreMap(byte[] model) {
      this.model = model;
    }

    @Override
    public void open(OpenContext context) throws Exception {
      scorer = new Scorer(ModelFormat.read(model), 0.001);
      score = new Scorer.Score();
      features = new double[3];
    }

    @Override
    public Row map(Row in) {
      features[0] = (Double) in.getField(1);
      features[1] = (Double) in.getField(2);
      features[2] = (Double) in.getField(3);
      scorer.score(features, score);
      return Row.of(in.getField(0), score.logDensity, score.nll, score.tailProbability, score.anomaly);
    }
  }
}
