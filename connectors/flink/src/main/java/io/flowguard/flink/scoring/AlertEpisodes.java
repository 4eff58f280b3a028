package io.flowguard.flink.scoring;

import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.job.scoring.EpisodeState;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Turns per-event typicality alarms into episodes per key and window (issue 19): an alarm is a
 * property of a window, and one anomalous event keeps a sliding window of M events alarming for up
 * to M events, so one alert per alarming event repeats the same finding up to M times. Per window:
 * OPENED when it enters the alarm state (with its statistic, threshold and the NLLs of the events
 * that pushed it over), UPDATE at most every {@code updateEvery} events while it stays there (0: no
 * updates), CLEARED when it leaves. Pure: the scoring operator keeps the {@link EpisodeState} in
 * keyed state and emits what {@link #step} reports.
 */
public final class AlertEpisodes {

  private AlertEpisodes() {}

  /**
   * One scored event of a key.
   *
   * @param state the key's state, or null when it has none
   * @param key the event's key
   * @param model the model name
   * @param version the model version that scored the event
   * @param eventTime the event's time
   * @param results the event's typicality results, one per configured window, in configured order
   * @param recentNlls the key's most recent NLLs, oldest first (the last M are window M's events)
   * @param updateEvery events between UPDATE records of an open episode; 0 for none
   * @param emit receives the episode records this event causes
   * @return the key's new state
   */
  public static EpisodeState step(EpisodeState state, String key, String model, int version,
      long eventTime, TypicalityResult[] results, double[] recentNlls, int updateEvery,
      Consumer<TypicalityEpisode> emit) {
    return step(state, key, model, version, eventTime, results, () -> recentNlls, updateEvery, emit);
  }

  /**
   * As above, with the recent NLLs asked for only when a record is emitted (the scoring operator's ring
   * buffer copies them out then, not on every event).
   */
  public static EpisodeState step(EpisodeState state, String key, String model, int version,
      long eventTime, TypicalityResult[] results, java.util.function.Supplier<double[]> recentNlls,
      int updateEvery, Consumer<TypicalityEpisode> emit) {
    int[] sizes = new int[results.length];
    for (int i = 0; i < results.length; i++) {
      sizes[i] = results[i].window();
    }
    String versionText = Integer.toString(version);
    EpisodeState s = state;
    if (s == null || !s.belongsTo(model, version, sizes)) {
      if (s != null) {
        clearAll(s, key, eventTime, emit); // the windows restart with the new model
      }
      s = EpisodeState.closed(model, version, sizes);
    }
    long[] openedAt = s.openedAt().clone();
    long[] events = s.events().clone();
    long[] sinceRecord = s.sinceRecord().clone();
    double[] peak = s.peak().clone();
    for (int i = 0; i < results.length; i++) {
      TypicalityResult r = results[i];
      if (r.alarm()) {
        if (openedAt[i] < 0) {
          openedAt[i] = eventTime;
          events[i] = 1;
          sinceRecord[i] = 0;
          peak[i] = r.statistic();
          emit.accept(record(key, model, versionText, r, TypicalityEpisode.Kind.OPENED, eventTime,
              eventTime, 1, peak[i], window(recentNlls.get(), r.window())));
        } else {
          events[i]++;
          sinceRecord[i]++;
          peak[i] = Math.max(peak[i], r.statistic());
          if (updateEvery > 0 && sinceRecord[i] >= updateEvery) {
            sinceRecord[i] = 0;
            emit.accept(record(key, model, versionText, r, TypicalityEpisode.Kind.UPDATE,
                eventTime, openedAt[i], events[i], peak[i], window(recentNlls.get(), r.window())));
          }
        }
      } else if (openedAt[i] >= 0) {
        emit.accept(record(key, model, versionText, r, TypicalityEpisode.Kind.CLEARED, eventTime,
            openedAt[i], events[i] + 1, peak[i], new double[0]));
        openedAt[i] = -1;
        events[i] = 0;
        sinceRecord[i] = 0;
        peak[i] = 0;
      }
    }
    return new EpisodeState(model, version, sizes, openedAt, events, sinceRecord, peak);
  }

  /** CLEARED records for every open episode of a state that no longer applies. */
  private static void clearAll(EpisodeState s, String key, long eventTime,
      Consumer<TypicalityEpisode> emit) {
    for (int i = 0; i < s.windows().length; i++) {
      if (s.open(i)) {
        emit.accept(new TypicalityEpisode(key, s.model(), Integer.toString(s.version()),
            s.windows()[i], TypicalityEpisode.Kind.CLEARED, eventTime, s.openedAt()[i],
            s.events()[i], Double.NaN, Double.NaN, s.peak()[i], new double[0]));
      }
    }
  }

  private static TypicalityEpisode record(String key, String model, String version,
      TypicalityResult r, TypicalityEpisode.Kind kind, long eventTime, long openedAt, long events,
      double peak, double[] nlls) {
    return new TypicalityEpisode(key, model, version, r.window(), kind, eventTime, openedAt, events,
        r.statistic(), r.threshold(), peak, nlls);
  }

  private static double[] window(double[] recent, int m) {
    int n = Math.min(m, recent.length);
    return Arrays.copyOfRange(recent, recent.length - n, recent.length);
  }
}
