package io.flowguard.flink;

import java.io.Serializable;

/**
 * An event's time in epoch milliseconds, for the records that describe a key's history (typicality
 * episodes). Without one, the scoring operator uses the record's Flink timestamp, else the wall clock.
 *
 * @param <T> the event type
 */
@FunctionalInterface
public interface EventTime<T> extends Serializable {

  long eventTime(T event) throws Exception;
}
