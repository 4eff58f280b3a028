package io.flowguard.core.context;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Optional;

/**
 * Event times as files write them, to epoch milliseconds: epoch milliseconds themselves (an integer),
 * ISO-8601 instants and offset date-times ({@code 2014-04-01T00:00:00Z}, {@code ...+02:00}), and local
 * date-times with a space or a {@code T} ({@code 2014-04-01 00:00:00}, NAB's form), read as UTC.
 */
public final class EventTimes {

  private static final DateTimeFormatter LOCAL = new DateTimeFormatterBuilder()
      .parseCaseInsensitive()
      .append(DateTimeFormatter.ISO_LOCAL_DATE)
      .optionalStart().appendLiteral(' ').optionalEnd()
      .optionalStart().appendLiteral('T').optionalEnd()
      .append(DateTimeFormatter.ISO_LOCAL_TIME)
      .parseDefaulting(ChronoField.NANO_OF_SECOND, 0)
      .toFormatter();

  private EventTimes() {}

  /** The epoch milliseconds of {@code text}, or empty when it is none of the accepted forms. */
  public static Optional<Long> parse(String text) {
    String s = text.trim();
    if (s.isEmpty()) {
      return Optional.empty();
    }
    if (s.chars().allMatch(c -> c >= '0' && c <= '9') || (s.charAt(0) == '-' && s.length() > 1
        && s.substring(1).chars().allMatch(c -> c >= '0' && c <= '9'))) {
      try {
        return Optional.of(Long.parseLong(s));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    try {
      return Optional.of(OffsetDateTime.parse(s).toInstant().toEpochMilli());
    } catch (DateTimeParseException ignored) {
      // not an offset date-time: try a local one
    }
    try {
      return Optional.of(LocalDateTime.parse(s, LOCAL).toInstant(ZoneOffset.UTC).toEpochMilli());
    } catch (DateTimeParseException | ArithmeticException e) {
      return Optional.empty();
    }
  }

  /** An epoch millisecond as ISO-8601, for messages. */
  public static String format(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }
}
