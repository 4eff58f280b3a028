package io.flowguard.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.core.train.TrainingConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The noise schedule in a model's provenance: recorded with the training configuration, absent in older models. */
class NoiseScheduleProvenanceTest {

  @Test
  void theProvenanceRecordsTheNoiseScheduleAndARetrainReadsItBack() {
    TrainingConfig annealed = TrainingConfig.defaults().withNoise(0.3).withNoiseSchedule("linear");
    Map<String, Object> recorded = Provenance.configMap(annealed);
    assertEquals("linear", recorded.get("noiseSchedule"));
    assertEquals(annealed, Retraining.recordedConfig(recorded));
  }

  @Test
  void aProvenanceFromBeforeNoiseSchedulesReadsAsConstantNoise() {
    Map<String, Object> recorded = Provenance.configMap(TrainingConfig.defaults().withNoise(0.3).withAveraging(0.99));
    recorded.remove("noiseSchedule");
    TrainingConfig c = Retraining.recordedConfig(recorded);
    assertEquals("constant", c.noiseSchedule());
    assertEquals(0.3, c.noise(), 0.0);
    assertEquals(0.99, c.averaging(), 0.0);
  }
}
