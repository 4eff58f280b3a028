package io.flowguard.job;

import io.flowguard.connectors.event.DeadLetter;
import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.event.Parsed;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.connectors.kafka.ConsumedRecord;
import io.flowguard.flink.scoring.FlowguardMetrics;
import io.flowguard.flink.scoring.ScoringFunction;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes records (syntax only) into {@link RawEvent}s; a record that cannot be decoded goes to
 * {@link #DEAD_LETTERS} with its reason and exact bytes, and is counted in {@code
 * flowguard.deadLetters.<REASON>}. Every record is counted in {@code flowguard.eventsConsumed}, one side
 * of the job's commit ledger (the other: the scores and dead-letter sinks' {@code recordsCommitted}). Matching features to a model's schema happens later, in {@link
 * ScoringFunction}, once the event's model is known. Never throws for bad input.
 */
public final class ParseFunction extends ProcessFunction<ConsumedRecord, RawEvent> {

  private static final long serialVersionUID = 1L;

  /** Dead letters of this operator. */
  public static final OutputTag<DeadLetter> DEAD_LETTERS = ScoringFunction.DEAD_LETTERS;

  private final EventDecoder decoder;
  private transient FlowguardMetrics metrics;

  public ParseFunction(EventDecoder decoder) {
    this.decoder = Objects.requireNonNull(decoder, "decoder");
  }

  @Override
  public void open(OpenContext openContext) {
    metrics = FlowguardMetrics.forParse(getRuntimeContext().getMetricGroup());
  }

  @Override
  public void processElement(ConsumedRecord record, Context ctx, Collector<RawEvent> out) {
    metrics.consumed();
    Parsed<RawEvent> parsed = decoder.decode(record.value(), record.origin(), record.timestamp());
    if (parsed instanceof Parsed.Ok<RawEvent> ok) {
      out.collect(ok.value());
    } else {
      DeadLetter letter = ((Parsed.Rejected<RawEvent>) parsed).letter();
      ctx.output(DEAD_LETTERS, letter);
      metrics.deadLetter(letter.reason());
    }
  }
}
