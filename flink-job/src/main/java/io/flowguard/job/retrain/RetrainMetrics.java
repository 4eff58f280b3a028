package io.flowguard.job.retrain;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * The metrics of one retraining operator instance, in its metric group {@code flowguard}:
 *
 * <ul>
 *   <li>counters {@code retrainsStarted}, {@code retrainsPromoted}, {@code retrainsRejected},
 *       {@code retrainsFailed}, {@code retrainsRestarted} (a training lost in a failure, started
 *       again after the restore), {@code retrainsSkipped} (a due retraining that did not start: too
 *       few rows, one already running, or the last promotion not back from the model topic yet);
 *   <li>counters {@code reservoirAdmitted}, {@code reservoirExcludedAnomalies} (point anomalies, or
 *       during a drift events below the drift tail-probability floor), {@code
 *       reservoirExcludedAlarms} (typicality alarms outside a drift), {@code reservoirKeyCapped},
 *       {@code driftsDeclared};
 *   <li>counter {@code eventsWithoutChampion}: sampled events of a model whose champion the operator
 *       does not know, so it cannot retrain it (e.g. retraining enabled on a job restored from a
 *       savepoint taken without it: publish the model again);
 *   <li>per model (user variable {@code model}): gauges {@code reservoirSize}, {@code driftRows},
 *       {@code driftActive} (1 or 0), {@code training} (1 while a challenger trains),
 *       {@code lastTrainSeconds} and {@code lastPromotedVersion}.
 * </ul>
 */
public final class RetrainMetrics {

  /** One model's gauge values, written on the task thread, read by reporters. */
  static final class ModelGauges {
    volatile long reservoirSize;
    volatile long driftRows;
    volatile int driftActive;
    volatile int training;
    volatile double lastTrainSeconds = Double.NaN;
    volatile int lastPromotedVersion;
  }

  private final MetricGroup group;
  private final Map<String, ModelGauges> models = new ConcurrentHashMap<>();
  final Counter started;
  final Counter promoted;
  final Counter rejected;
  final Counter failed;
  final Counter restarted;
  final Counter skipped;
  final Counter admitted;
  final Counter excludedAnomalies;
  final Counter excludedAlarms;
  final Counter keyCapped;
  final Counter driftsDeclared;
  final Counter eventsWithoutChampion;

  public RetrainMetrics(MetricGroup operatorGroup) {
    group = operatorGroup.addGroup("flowguard");
    started = group.counter("retrainsStarted");
    promoted = group.counter("retrainsPromoted");
    rejected = group.counter("retrainsRejected");
    failed = group.counter("retrainsFailed");
    restarted = group.counter("retrainsRestarted");
    skipped = group.counter("retrainsSkipped");
    admitted = group.counter("reservoirAdmitted");
    excludedAnomalies = group.counter("reservoirExcludedAnomalies");
    excludedAlarms = group.counter("reservoirExcludedAlarms");
    keyCapped = group.counter("reservoirKeyCapped");
    driftsDeclared = group.counter("driftsDeclared");
    eventsWithoutChampion = group.counter("eventsWithoutChampion");
  }

  /** The gauges of a model, registered on first use. */
  ModelGauges model(String name) {
    return models.computeIfAbsent(name, n -> {
      ModelGauges g = new ModelGauges();
      MetricGroup m = group.addGroup("model", n);
      m.gauge("reservoirSize", (Gauge<Long>) () -> g.reservoirSize);
      m.gauge("driftRows", (Gauge<Long>) () -> g.driftRows);
      m.gauge("driftActive", (Gauge<Integer>) () -> g.driftActive);
      m.gauge("training", (Gauge<Integer>) () -> g.training);
      m.gauge("lastTrainSeconds", (Gauge<Double>) () -> g.lastTrainSeconds);
      m.gauge("lastPromotedVersion", (Gauge<Integer>) () -> g.lastPromotedVersion);
      return g;
    });
  }

  void reservoir(String model, ReservoirMeta meta) {
    ModelGauges g = model(model);
    g.reservoirSize = meta.size();
    g.driftRows = meta.driftRows();
  }
}
