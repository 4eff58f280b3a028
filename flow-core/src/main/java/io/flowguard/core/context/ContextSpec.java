package io.flowguard.core.context;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * How a time-aware model conditions an event on its key's recent past: the model scores
 * {@code log p(x_t | x_{t-1}, ..., x_{t-k}, time)} instead of {@code log p(x_t)}.
 *
 * <p>The context vector of an event, in this order ({@link #dim(int)} values):
 * <ol>
 *   <li>the {@code window} = k previous events of the same key, newest first, each as the model's
 *       preprocessed (standardized) feature vector of {@code d} values; a missing one (the key has fewer
 *       than k events) is all zeros, i.e. the training mean;</li>
 *   <li>k availability indicators, 1 for each previous event present, 0 for each missing one, so the one
 *       model learns p(x_t | the j most recent events) for every j from 0 (a new key) to k;</li>
 *   <li>with {@code timeFeatures}: sin and cos of the time of day and of the time of week of the event
 *       time, in UTC (the week starts on Monday 00:00 UTC);</li>
 *   <li>the declared context {@code fields} of the event, raw values (numeric fields the event carries
 *       that are conditioned on but not modelled, e.g. a set point).</li>
 * </ol>
 *
 * <p>History rules ({@link KeyHistory#admit}): an event more than {@code maxGapMillis} after its key's
 * previous event starts the history afresh (the past no longer says much about the present), and so
 * does an event more than {@code maxOutOfOrdernessMillis} older than the key's newest event; an event
 * within that bound is scored against the history as it stands and appended in arrival order. A key
 * with fewer than k events in its history is <em>warming up</em>: it is scored exactly by the same model
 * with fewer events of context, and its scores say so.
 *
 * @param window k, the number of previous events of the key in the context (1 to {@link #MAX_WINDOW})
 * @param timeFeatures whether the time of day and of week are part of the context
 * @param fields declared context fields, in order (empty for none)
 * @param maxGapMillis the longest gap between two events of a key that keeps its history; null: no limit
 * @param maxOutOfOrdernessMillis how much older than the key's newest event an event may be and still
 *     join its history; null: 0 (events must come in event-time order; ties are fine)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContextSpec(
    @JsonProperty("window") int window,
    @JsonProperty("timeFeatures") boolean timeFeatures,
    @JsonProperty("fields") List<String> fields,
    @JsonProperty("maxGapMillis") Long maxGapMillis,
    @JsonProperty("maxOutOfOrdernessMillis") Long maxOutOfOrdernessMillis) {

  /** The longest history a model may condition on (the per-key state grows linearly with it). */
  public static final int MAX_WINDOW = 256;
  /** Values the time features add to the context. */
  public static final int TIME_FEATURES = 4;

  public ContextSpec {
    if (window < 1 || window > MAX_WINDOW) {
      throw new IllegalArgumentException("the context window must be between 1 and " + MAX_WINDOW
          + " events, got " + window);
    }
    fields = fields == null ? List.of() : List.copyOf(fields);
    for (String f : fields) {
      if (f == null || f.isBlank()) {
        throw new IllegalArgumentException("context field names must be non-blank: " + fields);
      }
    }
    if (fields.stream().distinct().count() != fields.size()) {
      throw new IllegalArgumentException("context field names must be distinct: " + fields);
    }
    if (maxGapMillis != null && maxGapMillis <= 0) {
      throw new IllegalArgumentException("the longest gap must be positive, got " + maxGapMillis + " ms");
    }
    if (maxOutOfOrdernessMillis != null && maxOutOfOrdernessMillis < 0) {
      throw new IllegalArgumentException("the out-of-orderness bound must not be negative, got "
          + maxOutOfOrdernessMillis + " ms");
    }
  }

  /** k previous events, no time features, no fields, no gap limit, events in order. */
  public static ContextSpec ofWindow(int window) {
    return new ContextSpec(window, false, List.of(), null, null);
  }

  public ContextSpec withTimeFeatures(boolean on) {
    return new ContextSpec(window, on, fields, maxGapMillis, maxOutOfOrdernessMillis);
  }

  public ContextSpec withFields(List<String> names) {
    return new ContextSpec(window, timeFeatures, names, maxGapMillis, maxOutOfOrdernessMillis);
  }

  public ContextSpec withMaxGapMillis(Long millis) {
    return new ContextSpec(window, timeFeatures, fields, millis, maxOutOfOrdernessMillis);
  }

  public ContextSpec withMaxOutOfOrdernessMillis(Long millis) {
    return new ContextSpec(window, timeFeatures, fields, maxGapMillis, millis);
  }

  /** The context size for events of {@code featureDim} preprocessed features. */
  public int dim(int featureDim) {
    return window * featureDim + window + (timeFeatures ? TIME_FEATURES : 0) + fields.size();
  }

  /** The out-of-orderness bound in milliseconds (0 when unset). */
  @JsonIgnore
  public long outOfOrdernessOrZero() {
    return maxOutOfOrdernessMillis == null ? 0L : maxOutOfOrdernessMillis;
  }

  /** A one-line description for logs and reports. */
  public String describe() {
    StringBuilder s = new StringBuilder().append(window).append(window == 1 ? " previous event" : " previous events");
    if (timeFeatures) {
      s.append(", time of day and week");
    }
    if (!fields.isEmpty()) {
      s.append(", fields ").append(fields);
    }
    if (maxGapMillis != null) {
      s.append(", history reset after a gap of ").append(maxGapMillis).append(" ms");
    }
    if (maxOutOfOrdernessMillis != null && maxOutOfOrdernessMillis > 0) {
      s.append(", out-of-orderness up to ").append(maxOutOfOrdernessMillis).append(" ms");
    }
    return s.toString();
  }
}
