package io.flowguard.flink;

import java.io.Serializable;

/**
 * An event's time in epoch milliseconds: a time-aware model's history rules (gaps, out-of-order events)
 * and time features use it, and so do typicality episode records. Without one, the scoring operator uses
 * the record's Flink timestamp, else the wall clock (for a time-aware model, give one: the wall clock
 * says when an event was processed, not when it happened).
 *
 * @param <T> the event type
 */
@FunctionalInterface
public interface EventTime<T> extends Serializable {

  long eventTime(T event) throws Exception;
}
