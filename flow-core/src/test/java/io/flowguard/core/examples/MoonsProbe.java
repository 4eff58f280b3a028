package io.flowguard.core.examples;

import io.flowguard.core.flow.*;
import io.flowguard.core.train.*;

public class MoonsProbe {
  public static void main(String[] a) {
    String which = a.length > 0 ? a[0] : "moons";
    String base = a.length > 1 ? a[1] : "standard-normal";
    String sched = a.length > 2 ? a[2] : "constant";
    boolean actnorm = a.length > 3 && a[3].equals("actnorm");
    for (long seed = 0; seed < (a.length > 4 ? Integer.parseInt(a[4]) : 1); seed++) {
      boolean moons = which.equals("moons");
      double[] tr = moons ? ToyData.moons(8192, 0.05, seed) : ToyData.bimodal(8192, seed);
      double[] te = moons ? ToyData.moons(8192, 0.05, seed + 1000) : ToyData.bimodal(8192, seed + 1000);
      FlowSpec spec = FlowSpec.of("realnvp", 2).withLayers(moons ? 6 : 4).withHidden(moons ? new int[]{64,64} : new int[]{32,32})
        .withBase(base.equals("gmm") ? FlowSpec.BaseSpec.mixture(moons ? 2 : 2) : FlowSpec.BaseSpec.standardNormal()).withActNorm(actnorm).withActivation(System.getProperty("act","tanh"));
      spec = new FlowSpec(spec.family(), 2, spec.layers(), spec.hidden(), spec.activation(), Double.parseDouble(System.getProperty("sb","3")), null, null, spec.actNorm(), spec.mixing(), spec.base(), 0L);
      Flow f = FlowFactory.create(spec, seed);
      TrainingConfig c = TrainingConfig.defaults().withSteps(moons ? 3000 : 2000).withValidationFraction(0).withEvalEvery(Integer.getInteger("every",500)).withSeed(seed).withSchedule(sched);
      TrainingResult r = new Trainer(c, (s, t, e, tn, vn, sk) -> { if (Boolean.getBoolean("verbose")) System.out.printf("  step %d train %.4f skipped %d%n", s, tn, sk); }).fit(f, tr, 8192, true);
      System.out.printf("%s %s %s seed %d: test NLL %.4f train %.4f in %.1fs%n", which, base, sched, seed, f.meanNll(te, 8192), r.trainNll(), r.seconds());
    }
    if (!moons(which)) System.out.printf("entropy floor %.4f%n", ToyData.bimodalEntropy(1_000_000, 7));
  }
  static boolean moons(String w) { return w.equals("moons"); }
}
