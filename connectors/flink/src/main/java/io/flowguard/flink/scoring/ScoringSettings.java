package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelSignature;
import java.io.Serializable;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What the scoring operator needs to know besides the models: the false-alarm rate, the typicality
 * windows and level, the bounds on events held for a missing model, the decoder (which resolves
 * features against a model's schema and stamps dead letters) and the scoring kernel.
 */
public final class ScoringSettings implements Serializable {

  private static final long serialVersionUID = 1L;

  private final double falseAlarmRate;
  private final int[] windows;
  private final double alpha;
  private final int pendingMaxEvents;
  private final long pendingTimeoutMillis;
  private final EventDecoder decoder;
  private final ScoringKernel.Factory kernels;
  private int explainTop;
  private boolean explainAll;
  private double explainPerSecond = DEFAULT_EXPLAIN_PER_SECOND;
  private java.util.Map<String, Double> modelRates = java.util.Map.of();
  private boolean recommendedRates;
  private boolean rawContexts;

  /**
   * Explanations per second per operator instance at most, by default: an explanation costs about 1-5
   * ms of CPU (d = 10 to 50), so 20 a second bound it to a few per cent of a core while a flood of
   * anomalies lasts; more than 20 anomalies a second per subtask are an incident, not a list to read.
   */
  public static final double DEFAULT_EXPLAIN_PER_SECOND = 20;
  // issue 19 item 3: X.509 encodings of the public keys model records must be signed by; none: off.
  private final List<byte[]> verificationKeys;
  private transient List<PublicKey> publicKeys;
  // issue 19 item 6: events between UPDATE records of an open typicality episode (0: none).
  private int episodeUpdateEvery = DEFAULT_EPISODE_UPDATE_EVERY;

  /** The default of {@link #episodeUpdateEvery()}: 100 events. */
  public static final int DEFAULT_EPISODE_UPDATE_EVERY = 100;

  public ScoringSettings(double falseAlarmRate, int[] windows, double alpha, int pendingMaxEvents,
      Duration pendingTimeout, EventDecoder decoder, ScoringKernel.Factory kernels) {
    this(falseAlarmRate, windows, alpha, pendingMaxEvents, pendingTimeout, decoder, kernels,
        List.of());
  }

  private ScoringSettings(double falseAlarmRate, int[] windows, double alpha, int pendingMaxEvents,
      Duration pendingTimeout, EventDecoder decoder, ScoringKernel.Factory kernels,
      List<byte[]> verificationKeys) {
    if (!(falseAlarmRate > 0 && falseAlarmRate < 1)) {
      throw new IllegalArgumentException("false-alarm rate must be in (0, 1), got " + falseAlarmRate);
    }
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
    }
    if (pendingMaxEvents < 0 || pendingTimeout.toMillis() < 1) {
      throw new IllegalArgumentException("pending bound must be >= 0 and the timeout >= 1 ms");
    }
    for (int m : windows) {
      if (m < 1) {
        throw new IllegalArgumentException("window sizes must be positive: " + Arrays.toString(windows));
      }
    }
    this.falseAlarmRate = falseAlarmRate;
    this.windows = windows.clone();
    this.alpha = alpha;
    this.pendingMaxEvents = pendingMaxEvents;
    this.pendingTimeoutMillis = pendingTimeout.toMillis();
    this.decoder = Objects.requireNonNull(decoder, "decoder");
    this.kernels = Objects.requireNonNull(kernels, "kernels");
    this.verificationKeys = new ArrayList<>();
    for (byte[] k : verificationKeys) {
      ModelSignature.publicKey(k); // fails here, not on a cluster, for a key that is not Ed25519
      this.verificationKeys.add(k.clone());
    }
  }

  /** The same settings with another scoring kernel. */
  public ScoringSettings withKernels(ScoringKernel.Factory factory) {
    return copy(factory, verificationKeys);
  }

  private ScoringSettings copy(ScoringKernel.Factory factory, List<byte[]> keys) {
    ScoringSettings s = new ScoringSettings(falseAlarmRate, windows, alpha, pendingMaxEvents,
        Duration.ofMillis(pendingTimeoutMillis), decoder, factory, keys);
    s.explainTop = explainTop;
    s.explainAll = explainAll;
    s.explainPerSecond = explainPerSecond;
    s.modelRates = modelRates;
    s.recommendedRates = recommendedRates;
    s.episodeUpdateEvery = episodeUpdateEvery;
    s.rawContexts = rawContexts;
    return s;
  }

  /**
   * The same settings carrying, for time-aware models, each event's raw context (the key's history before the
   * event and its declared fields) to the score mapper ({@code ScoreView.rawHistory}): the Kafka job turns it
   * on while retraining is enabled, whose reservoir keeps each row's context. Costs one copy of the history
   * per event of a time-aware model; nothing for other models.
   */
  public ScoringSettings withRawContexts(boolean on) {
    ScoringSettings s = copy(kernels, verificationKeys);
    s.rawContexts = on;
    return s;
  }

  /** Whether time-aware models' events carry their raw contexts (see {@link #withRawContexts}). */
  public boolean carriesRawContexts() {
    return rawContexts;
  }

  /**
   * The same settings with explanations: the top {@code top} features (0: none) of every anomaly, or of
   * every event with {@code all}, at most {@code perSecond} per
   * operator instance (the rest carry a "not explained" note and count in {@code explanationsSkipped}).
   */
  public ScoringSettings withExplanations(int top, boolean all, double perSecond) {
    if (top < 0) {
      throw new IllegalArgumentException("explanation top-k must be >= 0, got " + top);
    }
    if (!(perSecond > 0)) {
      throw new IllegalArgumentException("explanations per second must be > 0, got " + perSecond);
    }
    ScoringSettings s = copy(kernels, verificationKeys);
    s.explainTop = top;
    s.explainAll = all;
    s.explainPerSecond = perSecond;
    return s;
  }

  /**
   * The same settings with false-alarm rates per model name (overriding {@link #falseAlarmRate()} for
   * those models) and, with {@code recommended}, a model file's recommended rate for models without one
   * here (see {@code FlowModel.recommendedFalseAlarmRate}).
   */
  public ScoringSettings withModelRates(java.util.Map<String, Double> rates, boolean recommended) {
    for (java.util.Map.Entry<String, Double> e : rates.entrySet()) {
      double r = e.getValue();
      if (!(r > 0 && r < 1)) {
        throw new IllegalArgumentException("false-alarm rate of model '" + e.getKey()
            + "' must be in (0, 1), got " + r);
      }
    }
    ScoringSettings s = copy(kernels, verificationKeys);
    s.modelRates = java.util.Map.copyOf(rates);
    s.recommendedRates = recommended;
    return s;
  }

  /**
   * The false-alarm rate a model is scored at: its rate in {@link #withModelRates}, else (when enabled)
   * the model file's recommended rate, else {@link #falseAlarmRate()}.
   */
  public double falseAlarmRate(FlowModel model) {
    Double own = modelRates.get(model.name());
    if (own != null) {
      return own;
    }
    if (recommendedRates && model.recommendedFalseAlarmRate().isPresent()) {
      return model.recommendedFalseAlarmRate().getAsDouble();
    }
    return falseAlarmRate;
  }

  /** Features per explanation; 0 when explanations are off. */
  public int explainTop() {
    return explainTop;
  }

  /** Whether every event is explained, not only flagged ones. */
  public boolean explainAll() {
    return explainAll;
  }

  /** Explanations per second per operator instance at most. */
  public double explainPerSecond() {
    return explainPerSecond;
  }

  /**
   * The same settings accepting only model records signed by the private key of one of {@code keys}
   * (issue 19, signed models; see {@link ModelSignature}); an empty list turns verification off.
   */
  public ScoringSettings withVerificationKeys(List<PublicKey> keys) {
    List<byte[]> encoded = new ArrayList<>();
    keys.forEach(k -> encoded.add(k.getEncoded()));
    return copy(kernels, encoded);
  }

  /** The same settings with another interval between episode UPDATE records (0: none). */
  public ScoringSettings withEpisodeUpdateEvery(int events) {
    if (events < 0) {
      throw new IllegalArgumentException("episode update interval must be >= 0, got " + events);
    }
    ScoringSettings s = copy(kernels, verificationKeys);
    s.episodeUpdateEvery = events;
    return s;
  }

  /** Events between UPDATE records of an open typicality episode; 0: no updates. */
  public int episodeUpdateEvery() {
    return episodeUpdateEvery;
  }

  /** Whether model records must carry a valid signature. */
  public boolean verifiesSignatures() {
    return !verificationKeys.isEmpty();
  }

  /**
   * Whether a model record may be considered at all: always without verification keys; with them,
   * only when its signature is valid for one of the keys (a model file's bytes, or for a tombstone
   * {@link ModelSignature#withdrawal} of its name). The scoring and retraining operators both ask.
   */
  public boolean signatureAccepted(ModelRecord record) {
    if (verificationKeys.isEmpty()) {
      return true;
    }
    if (publicKeys == null) {
      List<PublicKey> keys = new ArrayList<>();
      verificationKeys.forEach(k -> keys.add(ModelSignature.publicKey(k)));
      publicKeys = keys;
    }
    byte[] signed = record.isDeletion() ? ModelSignature.withdrawal(record.name()) : record.bytes();
    return ModelSignature.verify(publicKeys, signed, record.signature());
  }

  /**
   * The model of a model record, if the scoring operator accepts it (see {@code LoadedModel#load}:
   * a readable file carrying the record's name, calibrated for every typicality window); the
   * retraining operator uses the same rule to know the champion the scoring side uses.
   *
   * @throws IllegalArgumentException with the reason the scoring operator would give
   */
  public FlowModel acceptedModel(String recordName, byte[] bytes) {
    try {
      return LoadedModel.load(recordName, bytes, this).model;
    } catch (LoadedModel.Rejected e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  public double falseAlarmRate() {
    return falseAlarmRate;
  }

  /** The typicality window sizes (a copy). */
  public int[] windows() {
    return windows.clone();
  }

  /** The largest window size; 0 without windows. */
  public int maxWindow() {
    return Arrays.stream(windows).max().orElse(0);
  }

  public double alpha() {
    return alpha;
  }

  public int pendingMaxEvents() {
    return pendingMaxEvents;
  }

  public long pendingTimeoutMillis() {
    return pendingTimeoutMillis;
  }

  public EventDecoder decoder() {
    return decoder;
  }

  public ScoringKernel.Factory kernels() {
    return kernels;
  }
}
