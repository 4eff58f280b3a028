package io.flowguard.job.retrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.model.ModelEvent;
import io.flowguard.connectors.model.ModelEventKind;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.connectors.score.ScoredEvent;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.core.context.RawContexts;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Retraining;
import io.flowguard.job.FlowguardPipeline;
import io.flowguard.job.TestModels;
import io.flowguard.job.TimeAwareChampions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The retraining operator with a time-aware champion, on Flink's operator test harness: each admitted
 * event's raw context (carried by its scored event) is kept with its reservoir row and handed to the
 * training; rows without contexts get a clear rejection; rows of another context layout never mix.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TimeAwareRetrainFunctionTest {

  static final String MODEL = TestModels.NAME;
  static final String[] NAMES = TestModels.FEATURES.toArray(new String[0]);
  static final FlowModel CHAMPION = TestModels.read(TimeAwareChampions.v1());
  static final int LAYOUT = RetrainFunction.contextLayout(CHAMPION);

  static final ConcurrentLinkedQueue<Retraining.Request> REQUESTS = new ConcurrentLinkedQueue<>();

  /** Records the request, then runs the real procedure (a rejection the test reads). */
  static final ChallengerTrainer CAPTURE_THEN_RUN = (request, listener) -> {
    REQUESTS.add(request);
    return Retraining.run(request, listener);
  };

  KeyedBroadcastOperatorTestHarness<String, ScoredEvent, ModelRecord, ModelTopicRecord> harness;
  long now;

  @BeforeEach
  void reset() throws Exception {
    REQUESTS.clear();
    harness = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
        new RetrainFunction(RetrainFunctionTest.settings(1000, 1.0, 100, CAPTURE_THEN_RUN),
            RetrainFunctionTest.scoring()),
        new FlowguardPipeline.ModelName(), Types.STRING, RetrainFunction.CHAMPIONS);
    harness.setProcessingTime(now);
    harness.processBroadcastElement(new ModelRecord(MODEL, TimeAwareChampions.v1(), 0, 0), 0);
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  /** A normal scored event carrying the raw context given (layout 0: none). */
  static ScoredEvent scored(String key, long ts, double[] f, int layout, double[] history) {
    return new ScoredEvent(key, MODEL, "1", ts, -3, 3, 0.5, false,
        new TypicalityResult[] {new TypicalityResult(8, 0.1, 1.0, false)}, NAMES, f, new
        io.flowguard.connectors.score.Attribution[0], "", history.length / 3, history.length < 12, layout,
        history, new double[0]);
  }

  void advanceUntil(java.util.function.BooleanSupplier done, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      now += RetrainFunctionTest.POLL;
      harness.setProcessingTime(now);
      Thread.sleep(20);
    }
  }

  List<ModelEvent> events() {
    List<ModelEvent> out = new ArrayList<>();
    if (harness.getSideOutput(RetrainFunction.MODEL_EVENTS) != null) {
      for (StreamRecord<ModelEvent> r : harness.getSideOutput(RetrainFunction.MODEL_EVENTS)) {
        out.add(r.getValue());
      }
    }
    return out;
  }

  ReservoirMeta reservoirMeta() throws Exception {
    KeyedStateBackend<String> backend = harness.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(MODEL);
    return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
        RetrainFunction.META).value();
  }

  /** Sends 4 keys' events, each with the key's previous events (up to the window) as its context. */
  void sendWithContexts(int n, Random rng) throws Exception {
    List<List<double[]>> past = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      past.add(new ArrayList<>());
    }
    double[][] last = new double[4][];
    for (int i = 0; i < n; i++) {
      int k = i % 4;
      double[] f = TimeAwareChampions.events(1, 1, 0, 1, rng, new double[][] {last[k]}).get(0).features();
      List<double[]> p = past.get(k);
      double[] history = new double[p.size() * 3];
      for (int j = 0; j < p.size(); j++) {
        System.arraycopy(p.get(p.size() - 1 - j), 0, history, j * 3, 3); // newest first
      }
      harness.processElement(scored("key-" + k, 1_000L * i, f, LAYOUT, history), i);
      last[k] = f;
      p.add(f);
      if (p.size() > TimeAwareChampions.WINDOW) {
        p.remove(0);
      }
    }
  }

  @Test
  void eachRowsRawContextReachesTheTrainingOfATimeAwareChampion() throws Exception {
    sendWithContexts(800, new Random(3));
    assertEquals(LAYOUT, reservoirMeta().contextLayout());
    now += RetrainFunctionTest.INTERVAL;
    advanceUntil(() -> !REQUESTS.isEmpty(), "the scheduled retraining");
    Retraining.Request request = REQUESTS.peek();
    RawContexts contexts = request.contexts().orElseThrow();
    assertEquals(CHAMPION.context().orElseThrow(), contexts.spec());
    assertEquals(request.candidates().rows(), contexts.rows());
    assertEquals(800, contexts.rows());
    // Row i (in the reservoir's order, here arrival order) had min(i / 4, 4) previous events of its key,
    // the newest the row 4 before it.
    double[] x = request.candidates().values();
    for (int i = 0; i < 800; i++) {
      assertEquals(Math.min(i / 4, 4), contexts.events()[i], "row " + i);
      if (i >= 4) {
        assertArrayEquals(Arrays.copyOfRange(x, (i - 4) * 3, (i - 3) * 3),
            Arrays.copyOfRange(contexts.history(), i * 12, i * 12 + 3), 0.0, "row " + i);
      }
      assertEquals(1_000L * i, contexts.times()[i]);
    }
    advanceUntil(() -> !events().isEmpty(), "the outcome");
  }

  @Test
  void rowsWithoutContextsOfATimeAwareChampionAreRejectedAsMissingContext() throws Exception {
    // What a reservoir restored from a savepoint of a version without contexts holds.
    Random rng = new Random(4);
    for (int i = 0; i < 800; i++) {
      harness.processElement(scored("key-" + i % 4, i, TestModels.normal(rng), 0, new double[0]), i);
    }
    now += RetrainFunctionTest.INTERVAL;
    advanceUntil(() -> !events().isEmpty(), "the outcome");
    ModelEvent e = events().get(0);
    assertEquals(ModelEventKind.REJECTED, e.kind());
    assertEquals("MISSING_CONTEXT", e.reason());
    assertTrue(e.message().contains("the candidate rows come without their contexts"), e.message());
    assertTrue(REQUESTS.peek().contexts().isEmpty());
  }

  @Test
  void anEventOfAnotherContextLayoutEmptiesTheReservoir() throws Exception {
    Random rng = new Random(5);
    for (int i = 0; i < 50; i++) {
      harness.processElement(scored("key-" + i % 4, i, TestModels.normal(rng), 0, new double[0]), i);
    }
    assertEquals(new ReservoirMeta(NAMES, 50, 50, 0, 0), reservoirMeta());
    harness.processElement(scored("key-0", 50, TestModels.normal(rng), LAYOUT, new double[3]), 50);
    assertEquals(new ReservoirMeta(NAMES, 1, 1, 0, LAYOUT), reservoirMeta(),
        "rows of two layouts never train one challenger");
  }
}
