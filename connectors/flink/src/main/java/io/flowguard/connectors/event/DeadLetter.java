package io.flowguard.connectors.event;

import java.util.Arrays;
import java.util.Objects;

/**
 * A rejected record: why, in words, and the record's bytes exactly as received, so that it can be
 * inspected, fixed and replayed. {@link DeadLetterJson} gives its wire form.
 *
 * <p>The original bytes are copied on construction and returned without a copy; callers must not
 * modify them.
 *
 * @param reason the reason code
 * @param message what was wrong, naming the field or feature
 * @param original the record's bytes, exactly as received
 * @param origin source coordinates
 * @param time when the record was rejected, epoch milliseconds
 */
public record DeadLetter(
    DeadLetterReason reason, String message, byte[] original, Origin origin, long time) {

  public DeadLetter {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(origin, "origin");
    original = Objects.requireNonNull(original, "original").clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeadLetter d
        && reason == d.reason
        && message.equals(d.message)
        && Arrays.equals(original, d.original)
        && origin.equals(d.origin)
        && time == d.time;
  }

  @Override
  public int hashCode() {
    return Objects.hash(reason, message, Arrays.hashCode(original), origin, time);
  }

  @Override
  public String toString() {
    return "DeadLetter[" + reason + ": " + message + ", " + original.length + " bytes, origin="
        + origin + ", time=" + time + "]";
  }
}
