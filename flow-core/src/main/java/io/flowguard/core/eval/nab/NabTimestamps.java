package io.flowguard.core.eval.nab;

import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;

/**
 * NAB's timestamps: local date-times such as {@code 2014-04-10 16:15:00} in the data files and
 * {@code 2014-04-10 16:15:00.000000} in the windows file (a {@code T} in place of the space, and any number
 * of fraction digits up to nine, are accepted too). They carry no time zone: NAB compares them as written.
 */
public final class NabTimestamps {

  /** An example for messages. */
  static final String EXAMPLE = "2014-04-10 16:15:00";

  private NabTimestamps() {}

  /**
   * Parses one timestamp.
   *
   * @throws DateTimeParseException if it is not a date and a time of day
   */
  public static LocalDateTime parse(String text) {
    String s = text.trim();
    if (s.length() > 10 && s.charAt(10) == ' ') {
      s = s.substring(0, 10) + 'T' + s.substring(11);
    }
    return LocalDateTime.parse(s);
  }
}
