package io.flowguard.flink.scoring;

import io.flowguard.connectors.event.EventDecoder;
import io.flowguard.connectors.event.RawEvent;
import io.flowguard.flink.FeatureExtractor;
import java.util.List;

/**
 * The Kafka job's feature extractor: a decoded event's features by name (any order; missing names
 * rejected, unknown ones too unless the decoder ignores them) or by position, under {@link
 * EventDecoder#resolveInto}'s rules.
 */
final class RawEventFeatures implements FeatureExtractor<RawEvent> {

  private static final long serialVersionUID = 1L;

  private final boolean ignoreUnknownFeatures;

  RawEventFeatures(boolean ignoreUnknownFeatures) {
    this.ignoreUnknownFeatures = ignoreUnknownFeatures;
  }

  @Override
  public Bound<RawEvent> bind(List<String> featureNames) {
    List<String> names = List.copyOf(featureNames);
    boolean ignore = ignoreUnknownFeatures;
    return (raw, out) -> EventDecoder.resolveInto(raw, names, out, ignore);
  }
}
