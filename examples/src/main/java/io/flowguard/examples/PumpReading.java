package io.flowguard.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

/**
 * The user's own event type: one pump's sensor reading, as JSON on a Kafka topic. A plain Flink POJO
 * (public fields, no-argument constructor). A record that is not valid JSON still becomes a reading,
 * with no sensor values and its text kept in {@code raw}, so that Flowguard rejects it with a reason
 * instead of the source dropping it.
 */
public class PumpReading {

  private static final ObjectMapper JSON = new ObjectMapper();

  public String pump;
  public long time;
  public Double temperature;
  public Double pressure;
  public Double vibration;
  public String raw;

  public PumpReading() {}

  /** Parses one Kafka record value. */
  public static PumpReading parse(byte[] value) {
    try {
      return JSON.readValue(value, PumpReading.class);
    } catch (Exception e) {
      PumpReading bad = new PumpReading();
      bad.pump = "unparsed";
      bad.raw = new String(value, StandardCharsets.UTF_8);
      return bad;
    }
  }
}
