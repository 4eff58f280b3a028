package io.flowguard.job.scoring;

import java.util.Arrays;
import java.util.Objects;

/**
 * One key's typicality episodes (issue 19), keyed state of the scoring operator beside {@link
 * KeyWindows}: per configured window (in the order of the settings' window sizes), the event time
 * the open episode started at ({@code -1}: no episode), the events since it opened, the events since
 * its last OPENED/UPDATE record, and its peak statistic. Tied to a model version, like the windows.
 * In this package, with the other state records, because Flink's POJO serializer writes class names
 * into savepoints.
 *
 * <p>The arrays are not copied; callers must not modify them.
 */
public record EpisodeState(String model, int version, int[] windows, long[] openedAt,
    long[] events, long[] sinceRecord, double[] peak) {

  public EpisodeState {
    Objects.requireNonNull(model, "model");
    int n = Objects.requireNonNull(windows, "windows").length;
    if (openedAt.length != n || events.length != n || sinceRecord.length != n || peak.length != n) {
      throw new IllegalArgumentException("one entry per window");
    }
  }

  /** No episode open for any of the windows. */
  public static EpisodeState closed(String model, int version, int[] windows) {
    long[] opened = new long[windows.length];
    Arrays.fill(opened, -1L);
    return new EpisodeState(model, version, windows.clone(), opened, new long[windows.length],
        new long[windows.length], new double[windows.length]);
  }

  /** Whether this state belongs to the model version and window sizes given. */
  public boolean belongsTo(String modelName, int modelVersion, int[] windowSizes) {
    return version == modelVersion && model.equals(modelName) && Arrays.equals(windows, windowSizes);
  }

  /** Whether the i-th window has an open episode. */
  public boolean open(int i) {
    return openedAt[i] >= 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EpisodeState s && model.equals(s.model) && version == s.version
        && Arrays.equals(windows, s.windows) && Arrays.equals(openedAt, s.openedAt)
        && Arrays.equals(events, s.events) && Arrays.equals(sinceRecord, s.sinceRecord)
        && Arrays.equals(peak, s.peak);
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, version, Arrays.hashCode(windows), Arrays.hashCode(openedAt),
        Arrays.hashCode(events), Arrays.hashCode(sinceRecord), Arrays.hashCode(peak));
  }

  @Override
  public String toString() {
    return "EpisodeState[" + model + " v" + version + ", windows " + Arrays.toString(windows)
        + ", openedAt " + Arrays.toString(openedAt) + "]";
  }
}
