package io.flowguard.flink.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.context.ContextSpec;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FeatureStatistics;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.model.Provenance;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ModelSwapPolicyTest {

  static FlowModel model(int version, List<String> features) {
    int d = features.size();
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, d).withLayers(1).withHidden(4);
    SplittableRandom rng = new SplittableRandom(version);
    double[] x = new double[100 * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextDouble();
    }
    double[] nll = new double[100];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = rng.nextDouble();
    }
    Provenance p = new Provenance(spec.toJson(), Map.of(), 0, "0".repeat(64), 100,
        new Provenance.TrainingMetrics(Double.NaN, Double.NaN, 0, 0), "2026-01-01T00:00:00Z", "test", 1);
    return new FlowModel("pump", version, Preprocessor.fit(features, x, 100),
        FlowFactory.create(spec, 0), Calibration.fit(nll, 0), p);
  }

  @Test
  void theSameFeaturesMaySwap() {
    assertEquals(Optional.empty(), ModelSwapPolicy.refusal(model(1, List.of("a", "b", "c")),
        model(2, List.of("a", "b", "c"))));
  }

  @Test
  void fewerFeaturesAreRefusedNamingBothSchemas() {
    String why = ModelSwapPolicy.refusal(model(1, List.of("a", "b", "c")),
        model(2, List.of("a", "b"))).orElseThrow();
    assertTrue(why.contains("[a, b]") && why.contains("[a, b, c]"), why);
    assertTrue(why.contains("--schema-change"), why);
  }

  @Test
  void aDifferentOrderOrNameIsRefused() {
    assertTrue(ModelSwapPolicy.refusal(model(1, List.of("a", "b")), model(2, List.of("b", "a")))
        .isPresent(), "order");
    assertTrue(ModelSwapPolicy.refusal(model(1, List.of("a", "b")), model(2, List.of("a", "x")))
        .isPresent(), "name");
    assertTrue(ModelSwapPolicy.refusal(model(1, List.of("a", "b")),
        model(2, List.of("a", "b", "c"))).isPresent(), "count");
  }

  @Test
  void aDeclaredSchemaChangeMaySwapAndSurvivesTheModelFile() throws Exception {
    FlowModel declared = ModelSwapPolicy.declaringSchemaChange(model(2, List.of("a", "b")));
    FlowModel read = ModelFormat.read(ModelFormat.toBytes(declared));
    assertTrue(ModelSwapPolicy.declaresSchemaChange(read));
    assertEquals(Optional.empty(),
        ModelSwapPolicy.refusal(model(1, List.of("a", "b", "c")), read));
  }

  @Test
  void aDeclaredSchemaChangeKeepsTheRateTheStatisticsAndATimeAwareModelsContext() throws Exception {
    List<String> features = List.of("a", "b");
    ContextSpec context = ContextSpec.ofWindow(2).withMaxGapMillis(60_000L);
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 2).withLayers(1).withHidden(4).withContext(context.dim(2));
    SplittableRandom rng = new SplittableRandom(5);
    double[] x = new double[200];
    double[] nll = new double[100];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextDouble();
    }
    for (int i = 0; i < nll.length; i++) {
      nll[i] = rng.nextDouble();
    }
    Provenance p = new Provenance(spec.toJson(), Map.of(), 0, "0".repeat(64), 100,
        new Provenance.TrainingMetrics(Double.NaN, Double.NaN, 0, 0), "2026-01-01T00:00:00Z", "test", 1);
    FlowModel timeAware = new FlowModel("pump", 2, Preprocessor.fit(features, x, 100), FlowFactory.create(spec, 0),
        Calibration.fit(nll, 0), p, OptionalDouble.of(0.01), Optional.of(FeatureStatistics.of(x, 100, 2)),
        Optional.of(context));

    FlowModel declared = ModelFormat.read(ModelFormat.toBytes(ModelSwapPolicy.declaringSchemaChange(timeAware)));
    assertTrue(ModelSwapPolicy.declaresSchemaChange(declared));
    assertEquals(Optional.of(context), declared.context());
    assertEquals(OptionalDouble.of(0.01), declared.recommendedFalseAlarmRate());
    assertTrue(declared.featureStatistics().isPresent());
  }

  @Test
  void aModelWithoutLineageDeclaresNothing() {
    assertFalse(ModelSwapPolicy.declaresSchemaChange(model(1, List.of("a"))));
  }
}
