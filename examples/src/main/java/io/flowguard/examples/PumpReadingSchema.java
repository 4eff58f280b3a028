package io.flowguard.examples;

import org.apache.flink.api.common.serialization.AbstractDeserializationSchema;

/** Kafka record values to {@link PumpReading}s; never null, so no record is silently skipped. */
public final class PumpReadingSchema extends AbstractDeserializationSchema<PumpReading> {

  private static final long serialVersionUID = 1L;

  @Override
  public PumpReading deserialize(byte[] message) {
    return PumpReading.parse(message);
  }
}
