package io.flowguard.examples;

import io.flowguard.flink.FeatureExtractor;
import io.flowguard.flink.FlowguardScoring;
import io.flowguard.flink.ModelSource;
import io.flowguard.flink.Rejected;
import io.flowguard.flink.ScoredStreams;
import io.flowguard.flink.Scored;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A user's Flink job: pump readings (the user's POJO) from a Kafka topic, scored by a Flowguard model
 * trained on normal readings, anomalies and rejected records printed. Run it with
 * {@code BOOTSTRAP TOPIC MODEL_DIRECTORY}; a newer model file in the directory replaces the running
 * model within a minute, without a restart.
 */
public final class PumpMonitoringJob {

  public static void main(String[] args) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    KafkaSource<PumpReading> source = KafkaSource.<PumpReading>builder()
        .setBootstrapServers(args[0]).setTopics(args[1]).setGroupId("pump-monitoring")
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setValueOnlyDeserializer(new PumpReadingSchema())
        .build();
    DataStream<PumpReading> readings =
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "pump-readings");
    ScoredStreams<Scored<PumpReading>, Rejected<PumpReading>> scored =
        score(readings, ModelSource.directory(args[2], Duration.ofMinutes(1)));
    scored.scores().filter(s -> s.anomaly() || s.typicalityAlarm()).print("alert");
    scored.rejected().print("rejected");
    env.execute("pump monitoring");
  }

  /** The Flowguard part: key, features, model, false-alarm rate. */
  public static ScoredStreams<Scored<PumpReading>, Rejected<PumpReading>> score(
      DataStream<PumpReading> readings, ModelSource models) {
    return FlowguardScoring.of(readings)
        .keyBy(r -> r.pump)
        .features(FeatureExtractor.pojo(PumpReading.class))
        .model("pump")
        .modelSource(models)
        .falseAlarmRate(1e-3)
        .build();
  }
}
