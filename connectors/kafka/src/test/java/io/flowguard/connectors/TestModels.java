package io.flowguard.connectors;

import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.Calibration;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.Preprocessor;
import io.flowguard.core.model.Provenance;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/** Small valid model files for transport tests (untrained: their parameters are the initialization). */
public final class TestModels {

  private TestModels() {}

  /** A 2-feature MAF model; {@code seed} varies the parameters so versions differ in bytes. */
  public static FlowModel model(String name, int version, long seed) {
    FlowSpec spec = FlowSpec.of(FlowSpec.MAF, 2).withLayers(1).withHidden(4);
    SplittableRandom rng = new SplittableRandom(seed);
    double[] x = new double[200];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextDouble();
    }
    double[] nll = new double[100];
    for (int i = 0; i < nll.length; i++) {
      nll[i] = rng.nextDouble();
    }
    Provenance p = new Provenance(spec.toJson(), Map.of(), seed, "0".repeat(64), 100,
        new Provenance.TrainingMetrics(Double.NaN, 1.25, 10, 0.5), "2026-01-01T00:00:0" + (version % 10) + "Z",
        "test", 1);
    if (version > 1) {
      p = p.withLineage(Lineage.retrained(OptionalInt.of(version - 1), Lineage.Trigger.SCHEDULED, "test data", 100)
          .withValidation(1.5, 1.75));
    }
    return new FlowModel(name, version, Preprocessor.fit(List.of("a", "b"), x, 100), FlowFactory.create(spec, seed),
        Calibration.fit(nll, 0), p);
  }

  public static byte[] bytes(String name, int version) {
    return ModelFormat.toBytes(model(name, version, version));
  }
}
