package io.flowguard.connectors.event;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The outcome of decoding or resolving a record: a value or a dead letter. Decoders return this
 * instead of throwing, because bad input is expected in a stream and must be routed, not crash a task.
 *
 * @param <T> the value type ({@link RawEvent} or {@link Event})
 */
public sealed interface Parsed<T> permits Parsed.Ok, Parsed.Rejected {

  /** A successful outcome. */
  record Ok<T>(T value) implements Parsed<T> {
    public Ok {
      Objects.requireNonNull(value, "value");
    }
  }

  /** A rejected record. */
  record Rejected<T>(DeadLetter letter) implements Parsed<T> {
    public Rejected {
      Objects.requireNonNull(letter, "letter");
    }
  }

  static <T> Parsed<T> ok(T value) {
    return new Ok<>(value);
  }

  static <T> Parsed<T> rejected(DeadLetter letter) {
    return new Rejected<>(letter);
  }

  default boolean isOk() {
    return this instanceof Ok;
  }

  /** The value, if this is a success. */
  default Optional<T> toOptional() {
    return this instanceof Ok<T> ok ? Optional.of(ok.value()) : Optional.empty();
  }

  /** The dead letter, if this is a rejection. */
  default Optional<DeadLetter> deadLetter() {
    return this instanceof Rejected<T> r ? Optional.of(r.letter()) : Optional.empty();
  }

  /** The value; throws {@link IllegalStateException} with the dead letter's message otherwise. */
  default T orElseThrow() {
    if (this instanceof Ok<T> ok) {
      return ok.value();
    }
    DeadLetter letter = ((Rejected<T>) this).letter();
    throw new IllegalStateException(letter.reason() + ": " + letter.message());
  }

  /** Applies the next stage to a value; a rejection passes through unchanged. */
  default <U> Parsed<U> flatMap(Function<? super T, Parsed<U>> next) {
    if (this instanceof Ok<T> ok) {
      return Objects.requireNonNull(next.apply(ok.value()), "next stage result");
    }
    return new Rejected<>(((Rejected<T>) this).letter());
  }
}
