package io.flowguard.flink.scoring;

import io.flowguard.core.context.KeyHistory;

/**
 * One key's history for a time-aware model (keyed state {@code context-history}): the key's last k raw
 * feature vectors in a ring buffer, and the event time of the newest. Raw
 * values, so that the history survives a model swap: a retrained version with the same features and
 * context reads it through its own preprocessing. A model whose features, fields or window differ starts
 * every key's history afresh (its {@link #schema} differs).
 *
 * <p>A Flink POJO (public fields, no-argument constructor): its class name is part of every checkpoint,
 * so it must not be renamed or moved. Serialized size per key: {@code 8 k d + 37} bytes plus the model
 * name, e.g. 1.3 kB for k = 16, d = 10 and 172 bytes for k = 16, d = 1 and the name "default"
 * (docs/configuration.md; {@code KeyContextTest} measures it).
 */
public final class KeyContext {

  /** The model name whose events built the history. */
  public String model;
  /** A fingerprint of the model's feature names, context fields and window (see {@link #schemaOf}). */
  public int schema;
  /** Values per event: the model's raw features. */
  public int width;
  /** The ring buffer, {@code window x width}. */
  public double[] ring;
  /** Where the next event goes. */
  public int head;
  /** Events held (at most the window). */
  public int count;
  /** Event time of the newest event held ({@link KeyHistory#NO_TIME} when none). */
  public long newestTime;

  public KeyContext() {}

  /** The fingerprint of a model's context layout: features, fields and window. */
  public static int schemaOf(java.util.List<String> features, java.util.List<String> fields, int window) {
    return java.util.Objects.hash(features, fields, window);
  }

  /** Whether this history serves a model of this name and layout. */
  public boolean serves(String modelName, int modelSchema, int modelWidth, int window) {
    return schema == modelSchema && width == modelWidth && ring != null && ring.length == window * modelWidth
        && modelName.equals(model);
  }

  /** Loads this state into {@code history} (of the same shape). */
  public void copyTo(KeyHistory history) {
    history.restore(ring, head, count, newestTime);
  }

  /** Stores {@code history} into this state (reusing the ring when it has the right length). */
  public void copyFrom(String modelName, int modelSchema, KeyHistory history) {
    model = modelName;
    schema = modelSchema;
    width = history.dim();
    if (ring == null || ring.length != history.ring().length) {
      ring = new double[history.ring().length];
    }
    System.arraycopy(history.ring(), 0, ring, 0, ring.length);
    head = history.head();
    count = history.count();
    newestTime = history.newestTime();
  }
}
