package io.flowguard.connectors.score;

import java.util.Arrays;
import java.util.Objects;

/**
 * One record of a typicality episode: a stretch of events during which a key's window of size M is
 * in the alarm state (issue 19). One {@link Kind#OPENED} when the window enters the alarm state, at
 * most one {@link Kind#UPDATE} every N events while it lasts, and one {@link Kind#CLEARED} when it
 * leaves (or when the model changes, which restarts the windows). The per-event scores still carry
 * every window's statistic and alarm flag; these records are what the alerts topic gets instead of one
 * alert per alarming event.
 *
 * @param key the entity key
 * @param model the model name
 * @param modelVersion the model version whose windows these are
 * @param window the window size M
 * @param kind what happened
 * @param eventTime the event time of the event that caused this record
 * @param openedAt the event time of the event that opened the episode
 * @param events events scored since the episode opened, this one included
 * @param statistic the window's statistic at this event (NaN for a CLEARED by a model change)
 * @param threshold the window's threshold
 * @param peakStatistic the largest statistic during the episode
 * @param windowNlls at OPENED and UPDATE, the NLLs of the window's events, oldest first: the events
 *     that pushed it over; empty at CLEARED
 */
public record TypicalityEpisode(
    String key,
    String model,
    String modelVersion,
    int window,
    Kind kind,
    long eventTime,
    long openedAt,
    long events,
    double statistic,
    double threshold,
    double peakStatistic,
    double[] windowNlls) {

  /** What a record says about its episode. */
  public enum Kind { OPENED, UPDATE, CLEARED }

  public TypicalityEpisode {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(modelVersion, "modelVersion");
    Objects.requireNonNull(kind, "kind");
    windowNlls = Objects.requireNonNull(windowNlls, "windowNlls").clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TypicalityEpisode e && key.equals(e.key) && model.equals(e.model)
        && modelVersion.equals(e.modelVersion) && window == e.window && kind == e.kind
        && eventTime == e.eventTime && openedAt == e.openedAt && events == e.events
        && Double.compare(statistic, e.statistic) == 0 && Double.compare(threshold, e.threshold) == 0
        && Double.compare(peakStatistic, e.peakStatistic) == 0
        && Arrays.equals(windowNlls, e.windowNlls);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, model, modelVersion, window, kind, eventTime, openedAt, events,
        statistic, threshold, peakStatistic, Arrays.hashCode(windowNlls));
  }

  @Override
  public String toString() {
    return "TypicalityEpisode[" + kind + " " + key + " " + model + " v" + modelVersion + " M="
        + window + " at " + eventTime + ", opened " + openedAt + ", " + events + " events, statistic "
        + statistic + " / " + threshold + "]";
  }
}
