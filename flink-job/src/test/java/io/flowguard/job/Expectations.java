package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.flowguard.core.model.FlowModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test events with their expected scores, and comparison against the job's JSON output. */
public final class Expectations {

  /**
   * Scores from Kafka JSON against the Scorer's: the JSON writer prints the shortest decimal that
   * reads back to the same double, so only the arithmetic could differ, and it is the same code.
   * 1e-9 leaves room for nothing else.
   */
  public static final double TOLERANCE = 1e-9;

  /** One test event: its key, unique event time and features. */
  public record Sent(String key, long ts, double[] features) {
    public byte[] json() {
      return TestModels.jsonBytes(key, ts, features);
    }
  }

  private Expectations() {}

  /** {@code perKey} normal events for each of {@code keys} keys, interleaved, ts from {@code ts0}. */
  public static List<Sent> normalEvents(int keys, int perKey, long ts0, long seed) {
    Random rng = new Random(seed);
    List<Sent> out = new ArrayList<>();
    for (int i = 0; i < keys * perKey; i++) {
      out.add(new Sent("key-" + (i % keys), ts0 + i, TestModels.normal(rng)));
    }
    return out;
  }

  /** Produces the events to the topic, keyed by their entity key (one partition per key). */
  public static void produce(String topic, List<Sent> events) {
    JobTests.produce(topic, events.stream().map(Sent::key).toList(),
        events.stream().map(Sent::json).toList());
  }

  /**
   * The expected scores of events, fed to a reference scorer in each key's order (event time order
   * within a key, which is the order the events were produced in).
   */
  public static Map<Long, ReferenceScorer.Expected> expected(FlowModel model, List<Sent> events) {
    ReferenceScorer ref =
        new ReferenceScorer(model, JobTests.RATE, JobTests.WINDOWS, JobTests.ALPHA);
    return expected(ref, events);
  }

  public static Map<Long, ReferenceScorer.Expected> expected(ReferenceScorer ref, List<Sent> events) {
    List<Sent> ordered = new ArrayList<>(events);
    ordered.sort(Comparator.comparingLong(Sent::ts));
    Map<Long, ReferenceScorer.Expected> out = new LinkedHashMap<>();
    for (Sent s : ordered) {
      out.put(s.ts(), ref.next(s.key(), s.ts(), s.features()));
    }
    return out;
  }

  /**
   * The expected scores of events fed to the reference in the order given (the order they were produced
   * in, which is each key's arrival order in the job), whatever their event times.
   */
  public static Map<Long, ReferenceScorer.Expected> expectedInArrivalOrder(ReferenceScorer ref,
      List<Sent> events) {
    Map<Long, ReferenceScorer.Expected> out = new LinkedHashMap<>();
    for (Sent s : events) {
      out.put(s.ts(), ref.next(s.key(), s.ts(), s.features()));
    }
    return out;
  }

  /** Scored-event JSON by event time; fails on a duplicate. */
  public static Map<Long, JsonNode> byTs(List<JsonNode> scored) {
    Map<Long, JsonNode> out = new HashMap<>();
    for (JsonNode j : scored) {
      JsonNode before = out.put(j.get("ts").asLong(), j);
      assertTrue(before == null, "scored twice: " + j);
    }
    return out;
  }

  /**
   * The JSON of a scored event matches the expected scores, the {@code context} block of a time-aware
   * model's score included (and none for a model that scores events alone).
   */
  public static void assertScored(ReferenceScorer.Expected want, JsonNode got) {
    String at = got.toString();
    if (want.historyEvents() < 0) {
      assertTrue(!got.has("context"), "no context block without a time-aware model: " + at);
    } else {
      JsonNode context = got.get("context");
      assertTrue(context != null && context.isObject(), "a context block: " + at);
      assertEquals(want.historyEvents(), context.get("events").asInt(), at);
      assertEquals(want.warmingUp(), context.get("warmingUp").asBoolean(), at);
    }
    assertEquals(want.logDensity(), got.get("logDensity").asDouble(), TOLERANCE, at);
    assertEquals(want.nll(), got.get("nll").asDouble(), TOLERANCE, at);
    assertEquals(want.tailProbability(), got.get("tailProbability").asDouble(), TOLERANCE, at);
    assertEquals(want.anomaly(), got.get("anomaly").asBoolean(), at);
    JsonNode typicality = got.get("typicality");
    assertEquals(want.statistics().length, typicality.size(), at);
    for (int i = 0; i < want.statistics().length; i++) {
      JsonNode t = typicality.get(i);
      assertEquals(JobTests.WINDOWS[i], t.get("window").asInt(), at);
      if (Double.isNaN(want.statistics()[i])) {
        assertTrue(t.get("statistic").isNull(), at);
      } else {
        assertEquals(want.statistics()[i], t.get("statistic").asDouble(), TOLERANCE, at);
      }
      assertEquals(want.alarms()[i], t.get("alarm").asBoolean(), at);
    }
  }

  /** Whether a scored event is an alert. */
  public static boolean isAlert(JsonNode scored) {
    if (scored.get("anomaly").asBoolean()) {
      return true;
    }
    for (JsonNode t : scored.get("typicality")) {
      if (t.get("alarm").asBoolean()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The OPENED and CLEARED episode records expected from scored events ("KIND key M=m ts=t"): per
   * key in event-time order (the order the tests produce them in), a window opens an episode when it
   * alarms after not alarming, and clears it when it stops.
   */
  public static java.util.Set<String> episodes(java.util.Collection<JsonNode> scored) {
    Map<String, List<JsonNode>> byKey = new java.util.TreeMap<>();
    for (JsonNode j : scored) {
      byKey.computeIfAbsent(j.get("key").asText(), k -> new ArrayList<>()).add(j);
    }
    java.util.Set<String> out = new java.util.HashSet<>();
    byKey.forEach((key, events) -> {
      events.sort(java.util.Comparator.comparingLong(j -> j.get("ts").asLong()));
      Map<Integer, Boolean> open = new java.util.HashMap<>();
      for (JsonNode j : events) {
        for (JsonNode t : j.get("typicality")) {
          int m = t.get("window").asInt();
          boolean alarm = t.get("alarm").asBoolean();
          boolean wasOpen = open.getOrDefault(m, false);
          if (alarm != wasOpen) {
            out.add((alarm ? "OPENED " : "CLEARED ") + key + " M=" + m + " ts=" + j.get("ts").asLong());
          }
          open.put(m, alarm);
        }
      }
    });
    return out;
  }
}
