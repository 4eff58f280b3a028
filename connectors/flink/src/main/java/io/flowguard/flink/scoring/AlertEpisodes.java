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
   * buffer copies them out then, not on every event). Pure: {@code state} is not changed.
   */
  public static EpisodeState step(EpisodeState state, String key, String model, int version,
      long eventTime, TypicalityResult[] results, java.util.function.Supplier<double[]> recentNlls,
      int updateEvery, Consumer<TypicalityEpisode> emit) {
    int n = results.length;
    int[] sizes = new int[n];
    double[] statistics = new double[n];
    double[] thresholds = new double[n];
    boolean[] alarms = new boolean[n];
    for (int i = 0; i < n; i++) {
      sizes[i] = results[i].window();
      statistics[i] = results[i].statistic();
      thresholds[i] = results[i].threshold();
      alarms[i] = results[i].alarm();
    }
    EpisodeState copy = state == null ? null : new EpisodeState(state.model(), state.version(),
        state.windows().clone(), state.openedAt().clone(), state.events().clone(), state.sinceRecord().clone(),
        state.peak().clone());
    EpisodeState next = advance(copy, key, model, version, sizes, statistics, thresholds, alarms, () -> eventTime,
        recentNlls, updateEvery, emit);
    if (next != null) {
      return next;
    }
    return copy != null ? copy : EpisodeState.closed(model, version, sizes);
  }

  /**
   * One scored event of a key, updating {@code state} in place: the scoring operator's form, which
   * allocates nothing for an event that continues an episode without a record or leaves no episode
   * (records aside).
   *
   * @param state the key's state (changed in place), or null when it has none
   * @param windows the window sizes, in configured order
   * @param statistics each window's statistic for this event
   * @param thresholds each window's threshold
   * @param alarms whether each window alarms for this event
   * @param eventTime the event's time, asked for only when a state starts or a record is emitted
   * @return the state to store when anything changed (the same object, or a new one for a key without
   *     state or with another model's), null when nothing did (no episode open, none opened)
   */
  public static EpisodeState advance(EpisodeState state, String key, String model, int version, int[] windows,
      double[] statistics, double[] thresholds, boolean[] alarms, java.util.function.LongSupplier eventTime,
      java.util.function.Supplier<double[]> recentNlls, int updateEvery, Consumer<TypicalityEpisode> emit) {
    EpisodeState s = state;
    boolean changed = false;
    if (s != null && !s.belongsTo(model, version, windows)) {
      clearAll(s, key, eventTime.getAsLong(), emit); // the windows restart with the new model
      s = EpisodeState.closed(model, version, windows);
      changed = true;
    }
    int n = windows.length;
    if (s == null) {
      boolean alarm = false;
      for (int i = 0; i < n; i++) {
        alarm |= alarms[i];
      }
      if (!alarm) {
        return null; // a quiet key without state keeps none
      }
      s = EpisodeState.closed(model, version, windows);
      changed = true;
    }
    long[] openedAt = s.openedAt();
    long[] events = s.events();
    long[] sinceRecord = s.sinceRecord();
    double[] peak = s.peak();
    for (int i = 0; i < n; i++) {
      double statistic = statistics[i];
      if (alarms[i]) {
        changed = true;
        if (openedAt[i] < 0) {
          long t = eventTime.getAsLong();
          openedAt[i] = t;
          events[i] = 1;
          sinceRecord[i] = 0;
          peak[i] = statistic;
          emit.accept(record(key, model, version, windows[i], statistic, thresholds[i],
              TypicalityEpisode.Kind.OPENED, t, t, 1, peak[i], window(recentNlls.get(), windows[i])));
        } else {
          events[i]++;
          sinceRecord[i]++;
          peak[i] = Math.max(peak[i], statistic);
          if (updateEvery > 0 && sinceRecord[i] >= updateEvery) {
            sinceRecord[i] = 0;
            emit.accept(record(key, model, version, windows[i], statistic, thresholds[i],
                TypicalityEpisode.Kind.UPDATE, eventTime.getAsLong(), openedAt[i], events[i], peak[i],
                window(recentNlls.get(), windows[i])));
          }
        }
      } else if (openedAt[i] >= 0) {
        changed = true;
        emit.accept(record(key, model, version, windows[i], statistic, thresholds[i],
            TypicalityEpisode.Kind.CLEARED, eventTime.getAsLong(), openedAt[i], events[i] + 1, peak[i],
            new double[0]));
        openedAt[i] = -1;
        events[i] = 0;
        sinceRecord[i] = 0;
        peak[i] = 0;
      }
    }
    return changed ? s : null;
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

  private static TypicalityEpisode record(String key, String model, int version, int window, double statistic,
      double threshold, TypicalityEpisode.Kind kind, long eventTime, long openedAt, long events, double peak,
      double[] nlls) {
    return new TypicalityEpisode(key, model, Integer.toString(version), window, kind, eventTime, openedAt, events,
        statistic, threshold, peak, nlls);
  }

  private static double[] window(double[] recent, int m) {
    int n = Math.min(m, recent.length);
    return Arrays.copyOfRange(recent, recent.length - n, recent.length);
  }
}
