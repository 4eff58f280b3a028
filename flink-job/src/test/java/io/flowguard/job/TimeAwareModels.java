package io.flowguard.job;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.context.EventSequence;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.train.TrainingListener;
import io.flowguard.job.Expectations.Sent;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Small time-aware models for the job tests, trained once per JVM on the features of {@link TestModels}
 * (a, b, c) under the same model name, so that {@link TestModels#json} writes their events: each key follows
 * an autoregressive process (a and c remember their previous value, b follows a), three keys interleaved.
 * A 2-layer MAF with hidden width 16, 300 steps (about a second each).
 *
 * <p>Versions 1 and 2 condition on the {@link #WINDOW} previous events and differ by training seed;
 * version 3 conditions on {@link #OTHER_WINDOW}, a layout whose histories the others' do not serve. All
 * reset a key's history after a gap longer than {@link #MAX_GAP_MILLIS} and for an event more than
 * {@link #MAX_OUT_OF_ORDER_MILLIS} older than its key's newest.
 */
public final class TimeAwareModels {

  public static final int WINDOW = 4;
  public static final int OTHER_WINDOW = 6;
  public static final long MAX_GAP_MILLIS = 60_000L;
  public static final long MAX_OUT_OF_ORDER_MILLIS = 5_000L;
  /** Training events per key are this far apart. */
  static final long STEP_MILLIS = 1_000L;

  private static byte[] v1;
  private static byte[] v2;
  private static byte[] v3;

  private TimeAwareModels() {}

  public static synchronized byte[] v1() {
    if (v1 == null) {
      v1 = train(1, 41L, WINDOW);
    }
    return v1.clone();
  }

  /** Version 2: the same features and window as v1, another training seed (a retrained model). */
  public static synchronized byte[] v2() {
    if (v2 == null) {
      v2 = train(2, 42L, WINDOW);
    }
    return v2.clone();
  }

  /** Version 3: the same features, another window: key histories start afresh under it. */
  public static synchronized byte[] v3OtherWindow() {
    if (v3 == null) {
      v3 = train(3, 43L, OTHER_WINDOW);
    }
    return v3.clone();
  }

  public static ContextSpec spec(int window) {
    return ContextSpec.ofWindow(window).withMaxGapMillis(MAX_GAP_MILLIS)
        .withMaxOutOfOrdernessMillis(MAX_OUT_OF_ORDER_MILLIS);
  }

  static byte[] train(int version, long seed, int window) {
    EventSequence sequence = sequence("test-ar", events(3, 700, 0L, STEP_MILLIS / 3, seed));
    FlowSpec flow = FlowSpec.of(FlowSpec.MAF, 3).withLayers(2).withHidden(16, 16);
    TrainingConfig training = TrainingConfig.defaults().withSteps(300).withEvalEvery(50).withSeed(seed);
    return ModelFormat.toBytes(ModelTrainer.trainInContext(sequence, spec(window),
        new ModelTrainer.Options(TestModels.NAME, version, flow, training, 0.3), TrainingListener.NONE).model());
  }

  /** Keyed events (features a, b, c) as the event sequence a time-aware model trains on, keys in order of appearance. */
  static EventSequence sequence(String source, List<Sent> events) {
    int n = events.size();
    double[] x = new double[n * 3];
    long[] times = new long[n];
    int[] keyIds = new int[n];
    List<String> keyNames = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Sent s = events.get(i);
      System.arraycopy(s.features(), 0, x, i * 3, 3);
      times[i] = s.ts();
      if (!keyNames.contains(s.key())) {
        keyNames.add(s.key());
      }
      keyIds[i] = keyNames.indexOf(s.key());
    }
    return new EventSequence(new Dataset(source, TestModels.FEATURES, x, n), times, keyIds, keyNames,
        new double[0], 0);
  }

  /**
   * {@code perKey} events of each of {@code keys} keys ("key-0", ...), interleaved; event i has time
   * {@code ts0 + i * stepMillis} (unique), so each key's events are {@code keys * stepMillis} apart.
   */
  public static List<Sent> events(int keys, int perKey, long ts0, long stepMillis, long seed) {
    return events(keys, perKey, ts0, stepMillis, new Random(seed), new double[keys][]);
  }

  /**
   * As {@link #events(int, int, long, long, long)}, drawing from {@code rng} and continuing each key from
   * {@code last} (updated), so that successive calls carry the processes on.
   */
  static List<Sent> events(int keys, int perKey, long ts0, long stepMillis, Random rng, double[][] last) {
    List<Sent> out = new ArrayList<>();
    for (int i = 0; i < keys * perKey; i++) {
      int k = i % keys;
      last[k] = next(rng, last[k]);
      out.add(new Sent("key-" + k, ts0 + i * stepMillis, last[k].clone()));
    }
    return out;
  }

  /** The next event of a key after {@code previous} (null: the key's first). */
  static double[] next(Random rng, double[] previous) {
    double a0 = previous == null ? 1 : previous[0];
    double c0 = previous == null ? -2 : previous[2];
    double a = 1 + 0.9 * (a0 - 1) + 0.4 * rng.nextGaussian();
    double b = 0.8 * a + 0.5 * rng.nextGaussian();
    double c = -2 + 0.7 * (c0 + 2) + rng.nextGaussian();
    return new double[] {a, b, c};
  }
}
