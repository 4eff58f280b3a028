package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.DeadLetterReason;
import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.flink.RejectionMapper;

/** The Kafka job's rejections: dead letters with the event's original bytes, stamped by its decoder. */
final class RawEventDeadLetters implements RejectionMapper<RawEvent, DeadLetter> {

  private static final long serialVersionUID = 1L;

  private final EventDecoder decoder;

  RawEventDeadLetters(EventDecoder decoder) {
    this.decoder = decoder;
  }

  @Override
  public DeadLetter map(RawEvent raw, DeadLetterReason reason, String message, String model) {
    return decoder.deadLetter(raw, reason, message);
  }
}
