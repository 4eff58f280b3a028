package io.flowguard.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowguard.core.examples.ToyData;
import io.flowguard.core.train.InputNoise;
import io.flowguard.core.train.Trainer;
import io.flowguard.core.train.TrainingConfig;
import io.flowguard.core.transform.TransformContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Unconditional flows compute, bit for bit, what they computed before conditional flows existed: log p of
 * random flows of every family, the traced mean NLL and a checksum of its gradient, samples, and the
 * log-densities after a short training run (which also pins the trainer's random stream: split, batches,
 * noise). The recorded values were written by this test at the commit before the context feature (run
 * with {@code -Dflowguard.golden.write=true}); they are the shortest round-trip decimals of the doubles,
 * so the comparison is exact (tolerance 0). Inference batches stay under the BLAS threshold, so every
 * product runs the plain-Java row kernel, the same on every machine.
 */
class UnconditionalGoldenTest {

  private static final Path FILE = Path.of("src/test/resources/unconditional-golden/values.csv");
  private static final int D = 3;

  private static Map<String, FlowSpec> cases() {
    FlowSpec.BaseSpec diagonal = new FlowSpec.BaseSpec("diagonal-normal", null);
    Map<String, FlowSpec> c = new LinkedHashMap<>();
    c.put("realnvp", FlowSpec.of(FlowSpec.REALNVP, D).withActivation("tanh").withLayers(3).withHidden(8, 8)
        .withActNorm(true).withMixing("lu").withBase(diagonal));
    c.put("realnvp-relu", FlowSpec.of(FlowSpec.REALNVP, D).withLayers(2).withHidden(24, 24));
    c.put("nice", FlowSpec.of(FlowSpec.NICE, D).withLayers(3).withHidden(8).withMixing("permute")
        .withActivation("elu").withBase(FlowSpec.BaseSpec.mixture(3)));
    c.put("maf", FlowSpec.of(FlowSpec.MAF, D).withActivation("tanh").withLayers(3).withHidden(8).withMixing("lu"));
    c.put("maf-bounded-relu", FlowSpec.of(FlowSpec.MAF, D).withLayers(2).withHidden(20, 20)
        .withConditionerBound(6.0));
    c.put("iaf", FlowSpec.of(FlowSpec.IAF, D).withActivation("tanh").withLayers(2).withHidden(8, 8)
        .withActNorm(true).withMixing("reverse").withBase(FlowSpec.BaseSpec.mixture(2)));
    c.put("spline-coupling", FlowSpec.of(FlowSpec.SPLINE_COUPLING, D).withActivation("tanh").withLayers(3)
        .withHidden(8).withActNorm(true).withMixing("permute").withSpline(6, 3.0).withBase(diagonal));
    c.put("spline-autoregressive", FlowSpec.of(FlowSpec.SPLINE_AUTOREGRESSIVE, D).withActivation("tanh")
        .withLayers(2).withHidden(8, 8).withMixing("lu").withSpline(6, 3.0));
    return c;
  }

  /** Every recorded quantity of every case, in a fixed order, as "case,quantity" -> value. */
  private static Map<String, Double> compute() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, FlowSpec> e : cases().entrySet()) {
      String name = e.getKey();
      FlowSpec spec = e.getValue();
      Flow flow = FlowTesting.randomFlow(spec, 17, 0.3);
      int n = 8;
      double[] x = TransformContract.randomBatch(n, D, 4, 1.5);
      double[] lp = flow.logProb(x, n);
      for (int r = 0; r < n; r++) {
        out.put(name + ",logProb" + r, lp[r]);
      }
      double[] g = new double[flow.parameters().length];
      out.put(name + ",tracedNll", flow.meanNllAndGradient(x, n, g));
      double checksum = 0.0;
      for (int i = 0; i < g.length; i++) {
        checksum += g[i] * (1.0 + (i % 7));
      }
      out.put(name + ",gradientChecksum", checksum);
      double[] s = flow.sample(3, 5);
      for (int i = 0; i < s.length; i++) {
        out.put(name + ",sample" + i, s[i]);
      }

      Flow trained = FlowFactory.create(spec, 3);
      int rows = 300;
      double[] moons = ToyData.moons(rows, 0.1, 2);
      double[] data = new double[rows * D];
      for (int r = 0; r < rows; r++) {
        data[r * D] = moons[2 * r];
        data[r * D + 1] = moons[2 * r + 1];
        data[r * D + 2] = 0.5 * moons[2 * r] - moons[2 * r + 1] + 0.1 * Math.sin(7 * r);
      }
      TrainingConfig config = TrainingConfig.defaults().withSteps(30).withBatchSize(32).withLearningRate(3e-3)
          .withValidationFraction(0.2).withEvalEvery(10).withNoise(0.05).withSeed(9);
      new Trainer(config).fit(trained, data, rows, true, InputNoise.NONE);
      double[] lpTrained = trained.logProb(x, n);
      for (int r = 0; r < n; r++) {
        out.put(name + ",trainedLogProb" + r, lpTrained[r]);
      }
    }
    return out;
  }

  @Test
  void unconditionalFlowsComputeExactlyTheRecordedValues() throws IOException {
    Map<String, Double> now = compute();
    if (Boolean.getBoolean("flowguard.golden.write")) {
      List<String> lines = new ArrayList<>();
      lines.add("case,quantity,value");
      now.forEach((k, v) -> lines.add(k + "," + v));
      Files.createDirectories(FILE.getParent());
      Files.write(FILE, lines);
    }
    List<String> lines = Files.readAllLines(FILE);
    assertEquals(now.size() + 1, lines.size(), "recorded quantities");
    for (String line : lines.subList(1, lines.size())) {
      int cut = line.lastIndexOf(',');
      String key = line.substring(0, cut);
      double recorded = Double.parseDouble(line.substring(cut + 1));
      assertEquals(recorded, now.get(key), 0.0, key);
    }
  }
}
