package io.flowguard.flink.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.score.TypicalityEpisode;
import io.flowguard.connectors.score.TypicalityEpisode.Kind;
import io.flowguard.connectors.score.TypicalityResult;
import io.flowguard.job.scoring.EpisodeState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertEpisodesTest {

  final List<TypicalityEpisode> out = new ArrayList<>();
  EpisodeState state;

  /** One event of key k with window 4 (alarm a4) and window 8 (alarm a8), statistic s. */
  void event(long ts, boolean a4, boolean a8, double s, int version, int updateEvery) {
    TypicalityResult[] r = {new TypicalityResult(4, s, 1.0, a4), new TypicalityResult(8, s, 2.0, a8)};
    state = AlertEpisodes.step(state, "k", "m", version, ts, r,
        new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, (double) ts}, updateEvery, out::add);
  }

  List<Kind> kinds(int window) {
    return out.stream().filter(e -> e.window() == window).map(TypicalityEpisode::kind).toList();
  }

  @Test
  void aLongAlarmIsOneOpenedAndOneCleared() {
    event(1, false, false, 0.5, 1, 0);
    for (long t = 2; t <= 40; t++) {
      event(t, true, false, 1.5, 1, 0);
    }
    event(41, false, false, 0.5, 1, 0);
    assertEquals(List.of(Kind.OPENED, Kind.CLEARED), kinds(4));
    assertEquals(List.of(), kinds(8), "the other window never alarmed");
    TypicalityEpisode cleared = out.get(1);
    assertEquals(2, cleared.openedAt());
    assertEquals(41, cleared.eventTime());
    assertEquals(40, cleared.events(), "39 alarming events and the one that cleared it");
  }

  @Test
  void theOpenedRecordCarriesStatisticThresholdAndTheWindowsNlls() {
    event(7, true, false, 1.25, 1, 0);
    TypicalityEpisode opened = out.get(0);
    assertEquals(Kind.OPENED, opened.kind());
    assertEquals(1.25, opened.statistic(), 0.0);
    assertEquals(1.0, opened.threshold(), 0.0);
    assertArrayEquals(new double[] {8, 9, 7}, java.util.Arrays.copyOfRange(
        opened.windowNlls(), 1, 4), 0.0);
    assertEquals(4, opened.windowNlls().length, "the last M = 4 NLLs");
  }

  @Test
  void updatesComeAtMostEveryNEvents() {
    for (long t = 1; t <= 25; t++) {
      event(t, true, false, t, 1, 10);
    }
    assertEquals(List.of(Kind.OPENED, Kind.UPDATE, Kind.UPDATE), kinds(4));
    TypicalityEpisode second = out.get(2);
    assertEquals(21, second.eventTime());
    assertEquals(21, second.events());
    assertEquals(21.0, second.peakStatistic(), 0.0);
  }

  @Test
  void windowsHaveTheirOwnEpisodes() {
    event(1, true, false, 1.5, 1, 0);
    event(2, true, true, 2.5, 1, 0);
    event(3, false, true, 2.5, 1, 0);
    event(4, false, false, 0.1, 1, 0);
    assertEquals(List.of(Kind.OPENED, Kind.CLEARED), kinds(4));
    assertEquals(List.of(Kind.OPENED, Kind.CLEARED), kinds(8));
    assertEquals(3, out.stream().filter(e -> e.window() == 4 && e.kind() == Kind.CLEARED)
        .findFirst().orElseThrow().eventTime());
  }

  @Test
  void aNewModelVersionClearsOpenEpisodes() {
    event(1, true, true, 3, 1, 0);
    event(2, false, false, 0.1, 2, 0);
    assertEquals(List.of(Kind.OPENED, Kind.CLEARED), kinds(4));
    TypicalityEpisode cleared = out.get(2);
    assertEquals("1", cleared.modelVersion(), "cleared for the version whose windows it was");
    assertTrue(Double.isNaN(cleared.statistic()));
    assertEquals(2, state.version());
  }
}
