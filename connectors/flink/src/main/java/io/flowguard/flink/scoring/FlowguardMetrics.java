package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.DeadLetterReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The metrics of one operator instance, in the operator's metric group {@value #GROUP}:
 *
 * <ul>
 *   <li>{@code eventsScored}, {@code anomalies}, {@code typicalityAlarms}, {@code modelsRejected}:
 *       counters;
 *   <li>{@code deadLetters.<REASON>}: one counter per {@link DeadLetterReason};
 *   <li>{@code model.<name>.activeVersion}: gauge of the model version in use (user-variable
 *       {@code model} = the model name, so reporters with labels show it as a label);
 *   <li>{@code model.<name>.eventsScored}, {@code model.<name>.anomalies}: counters per model;
 *   <li>{@code explanations}, {@code explanationsSkipped}: explanations computed, and flagged events
 *       left unexplained by the per-second cap;
 *   <li>{@code contextResets.gap}, {@code contextResets.outOfOrder}: time-aware models, key histories
 *       started afresh after a gap longer than the model's limit, or for an event too far out of order;
 *   <li>{@code warmingUp}: events of time-aware models scored with fewer previous events than the window;
 *   <li>{@code scoringLatencyMicros}: histogram of the time to score one event (resolve, kernel,
 *       typicality, state), microseconds, over the last {@value #LATENCY_WINDOW} events.
 * </ul>
 */
public final class FlowguardMetrics {

  public static final String GROUP = "flowguard";
  public static final int LATENCY_WINDOW = 1024;

  private final MetricGroup group;
  private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
  private final Map<String, Integer> activeVersions = new ConcurrentHashMap<>();
  private Counter eventsConsumed;
  private Counter eventsScored;
  private Counter anomalies;
  private Counter typicalityAlarms;
  private Counter modelsRejected;
  private Counter schemaChangesRefused;
  private Histogram latency;
  private Counter explanations;
  private Counter explanationsSkipped;
  private Counter resetsAfterGap;
  private Counter resetsOutOfOrder;
  private Counter warmingUp;
  private final Map<String, ModelCounters> perModel = new ConcurrentHashMap<>();

  /** One model's counters ({@code model.<name>.eventsScored}, {@code model.<name>.anomalies}). */
  public static final class ModelCounters {
    private final Counter scored;
    private final Counter anomalies;

    private ModelCounters(MetricGroup g) {
      this.scored = g.counter("eventsScored");
      this.anomalies = g.counter("anomalies");
    }

    public void scored(boolean anomaly) {
      scored.inc();
      if (anomaly) {
        anomalies.inc();
      }
    }
  }

  private FlowguardMetrics(MetricGroup operatorGroup) {
    this.group = operatorGroup.addGroup(GROUP);
    MetricGroup dead = group.addGroup("deadLetters");
    for (DeadLetterReason r : DeadLetterReason.values()) {
      deadLetters.put(r, dead.counter(r.name()));
    }
  }

  /**
   * The parse operator's: {@code eventsConsumed} (every record read from the events topic; each
   * becomes one record on the scores or the dead-letter topic, see the sinks' {@code recordsCommitted})
   * and the dead-letter counters.
   */
  public static FlowguardMetrics forParse(MetricGroup operatorGroup) {
    FlowguardMetrics m = new FlowguardMetrics(operatorGroup);
    m.eventsConsumed = m.group.counter("eventsConsumed");
    return m;
  }

  /** A record was read from the events topic (the parse operator). */
  public void consumed() {
    eventsConsumed.inc();
  }

  /** Every metric (the scoring operator). */
  public static FlowguardMetrics forScoring(MetricGroup operatorGroup) {
    FlowguardMetrics m = new FlowguardMetrics(operatorGroup);
    m.eventsScored = m.group.counter("eventsScored");
    m.anomalies = m.group.counter("anomalies");
    m.typicalityAlarms = m.group.counter("typicalityAlarms");
    m.modelsRejected = m.group.counter("modelsRejected");
    m.schemaChangesRefused = m.group.counter("schemaChangesRefused");
    m.latency = m.group.histogram("scoringLatencyMicros",
        new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
    m.explanations = m.group.counter("explanations");
    m.explanationsSkipped = m.group.counter("explanationsSkipped");
    MetricGroup resets = m.group.addGroup("contextResets");
    m.resetsAfterGap = resets.counter("gap");
    m.resetsOutOfOrder = resets.counter("outOfOrder");
    m.warmingUp = m.group.counter("warmingUp");
    return m;
  }

  /** A model's counters, registered on first use (the scoring operator keeps them per loaded model). */
  public ModelCounters model(String model) {
    return perModel.computeIfAbsent(model, n -> new ModelCounters(group.addGroup("model", n)));
  }

  /** An explanation was computed. */
  public void explained() {
    explanations.inc();
  }

  /** A flagged event went unexplained because the per-second cap was reached. */
  public void explanationSkipped() {
    explanationsSkipped.inc();
  }

  public void deadLetter(DeadLetterReason reason) {
    deadLetters.get(reason).inc();
  }

  public void scored(boolean anomaly, boolean typicalityAlarm, long nanos) {
    eventsScored.inc();
    if (anomaly) {
      anomalies.inc();
    }
    if (typicalityAlarm) {
      typicalityAlarms.inc();
    }
    latency.update(nanos / 1000);
  }

  /** A key's history was cleared before an event, for {@code why}. */
  public void contextReset(io.flowguard.core.context.KeyHistory.Admission why) {
    (why == io.flowguard.core.context.KeyHistory.Admission.RESET_AFTER_GAP ? resetsAfterGap : resetsOutOfOrder).inc();
  }

  /** An event of a time-aware model was scored with fewer previous events than the model's window. */
  public void warmingUp() {
    warmingUp.inc();
  }

  public void modelRejected() {
    modelsRejected.inc();
  }

  /**
   * A valid newer version refused because it changes the feature schema without declaring it ({@link
   * ModelSwapPolicy}); also counted in {@code modelsRejected}.
   */
  public void schemaChangeRefused() {
    schemaChangesRefused.inc();
    modelsRejected.inc();
  }

  /** Sets a model's active version (0 when withdrawn), registering its gauge on first use. */
  public void activeVersion(String model, int version) {
    if (activeVersions.put(model, version) == null) {
      Gauge<Integer> gauge = () -> activeVersions.getOrDefault(model, 0);
      group.addGroup("model", model).gauge("activeVersion", gauge);
    }
  }
}
