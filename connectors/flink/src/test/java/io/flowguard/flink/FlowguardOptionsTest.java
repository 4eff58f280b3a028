package io.flowguard.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.connectors.event.CsvEventCodec;
import io.flowguard.connectors.event.EventCodec;
import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.flink.scoring.ScoringSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class FlowguardOptionsTest {

  @Test
  void anEmptyConfigurationGivesTheDocumentedDefaults() {
    ScoringSettings s = FlowguardOptions.scoringSettings(new Configuration());
    assertEquals(0.001, s.falseAlarmRate());
    assertArrayEquals(new int[] {32, 128}, s.windows());
    assertEquals(0.999, s.alpha());
    assertEquals(1000, s.pendingMaxEvents());
    assertEquals(60_000, s.pendingTimeoutMillis());
    assertTrue(s.decoder() instanceof EventCodec);
    assertEquals(EventDecoder.DEFAULT_MAX_RECORD_BYTES, s.decoder().maxRecordBytes());
  }

  @Test
  void typedValuesAndStringsFromAMapGiveTheSameSettings() {
    Configuration typed = new Configuration();
    typed.set(FlowguardOptions.FALSE_ALARM_RATE, 1e-4);
    typed.set(FlowguardOptions.TYPICALITY_WINDOWS, List.of(8));
    typed.set(FlowguardOptions.PENDING_TIMEOUT, Duration.ofSeconds(5));
    Configuration strings = Configuration.fromMap(Map.of(
        "flowguard.scoring.false-alarm-rate", "1e-4",
        "flowguard.scoring.typicality.windows", "8",
        "flowguard.scoring.pending.timeout", "5 s"));
    for (Configuration c : List.of(typed, strings)) {
      ScoringSettings s = FlowguardOptions.scoringSettings(c);
      assertEquals(1e-4, s.falseAlarmRate());
      assertArrayEquals(new int[] {8}, s.windows());
      assertEquals(5_000, s.pendingTimeoutMillis());
    }
  }

  /** Flink's Configuration itself reads an option under its deprecated key (the earlier release's). */
  @Test
  void aDeprecatedKeyIsReadByFlinksConfiguration() {
    Configuration old = Configuration.fromMap(Map.of("false.alarm.rate", "0.02",
        "typicality.windows", "8;32"));
    ScoringSettings s = FlowguardOptions.scoringSettings(old);
    assertEquals(0.02, s.falseAlarmRate());
    assertArrayEquals(new int[] {8, 32}, s.windows());
  }

  @Test
  void anEmptyWindowListDisablesTheTypicalityTest() {
    ScoringSettings s = FlowguardOptions.scoringSettings(
        Configuration.fromMap(Map.of("flowguard.scoring.typicality.windows", "")));
    assertEquals(0, s.windows().length);
  }

  @Test
  void badValuesAreReportedByKey() {
    Map<ConfigOption<?>, String> bad = Map.of(
        FlowguardOptions.FALSE_ALARM_RATE, "1",
        FlowguardOptions.TYPICALITY_ALPHA, "0",
        FlowguardOptions.TYPICALITY_WINDOWS, "0;8",
        FlowguardOptions.PENDING_MAX_EVENTS, "-1",
        FlowguardOptions.PENDING_TIMEOUT, "0 ms",
        FlowguardOptions.EVENTS_MAX_RECORD_BYTES, "0",
        FlowguardOptions.EVENTS_FORMAT, "xml");
    bad.forEach((option, value) -> {
      String message = assertThrows(IllegalArgumentException.class, () ->
          FlowguardOptions.scoringSettings(Configuration.fromMap(Map.of(option.key(), value))))
          .getMessage();
      assertTrue(message.contains(option.key()), message);
    });
  }

  @Test
  void csvEventsAreDecodedWithTheConfiguredColumns() {
    EventDecoder d = FlowguardOptions.decoder(Configuration.fromMap(Map.of(
        "flowguard.events.format", "csv", "flowguard.events.csv.columns", "key;ts;x;y",
        "flowguard.events.csv.timestamp", "ts")));
    assertEquals(List.of("x", "y"), ((CsvEventCodec) d).featureColumns());
    String message = assertThrows(IllegalArgumentException.class, () -> FlowguardOptions.decoder(
        Configuration.fromMap(Map.of("flowguard.events.format", "csv")))).getMessage();
    assertTrue(message.contains("flowguard.events.csv.columns"), message);
  }

  /** One naming style: flowguard.<area>.<name>, lower case, words joined by '-'. */
  @Test
  void everyKeyFollowsTheNamingStyleAndHasADescription() {
    for (ConfigOption<?> o : FlowguardOptions.options()) {
      assertTrue(o.key().matches("flowguard(\\.[a-z][a-z0-9]*(-[a-z0-9]+)*)+"), o.key());
      assertTrue(!o.description().getBlocks().isEmpty(), o.key() + " has a description");
    }
    assertEquals(20, FlowguardOptions.options().size(), "every option is found by reflection");
  }
}
