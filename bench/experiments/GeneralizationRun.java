import io.flowguard.core.data.*;
import io.flowguard.core.eval.*;
import io.flowguard.core.eval.baseline.*;
import io.flowguard.core.flow.*;
import io.flowguard.core.model.*;
import io.flowguard.core.train.*;
import java.nio.file.*;
import java.util.*;

/**
 * Issue 16's measurement runner: the PROTOCOL.md tabular split on development sets (../shared/data) and on
 * the synthetic families of io.flowguard.core.eval.SyntheticSets, for a variant of the default flow and
 * for the classical baselines. One raw line per set, seed and method:
 *
 *   set seed method auroc ap test_nll test_nll_per_dim fit_s
 *
 * The flow is trained as ModelTrainer.train does (same calibration hold-out, preprocessor, AutoConfig
 * choice and training), without the calibration step, which does not change the NLL; its NLL is scored
 * on the TEST rows through the model's preprocessor (flow density + log-Jacobian + the columns modelled
 * apart). Variants:
 *   old   the rule before issue 16: constant columns dropped and not scored, every other column in the flow
 *   new   the default: constant and nearly constant columns modelled apart (Preprocessor.APART_MAX_OFF_MODE_ROWS)
 *   apartN  the same with another bound N on the off-mode rows
 *   V@noise=S  variant V with the smoothing noise fixed at S standard deviations (exploration only)
 * Baselines: kde, gmm, iforest (io.flowguard.core.eval.baseline), on the protocol's standardized space.
 *
 *   mvn -B -q -pl flow-core -am package -DskipTests
 *   java -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" bench/experiments/GeneralizationRun.java \
 *       VARIANT|none SET[,SET...] SEEDS [BASELINES]
 */
public class GeneralizationRun {
  public static void main(String[] a) throws Exception {
    String variant = a[0];
    List<String> sets = List.of(a[1].split(","));
    long[] seeds = Arrays.stream(a[2].split(",")).mapToLong(Long::parseLong).toArray();
    List<String> baselines = a.length > 3 ? List.of(a[3].split(",")) : List.of();
    for (String set : sets) {
      Dataset ds = set.startsWith("syn_") ? SyntheticSets.generate(set, 0)
          : DataReader.read(Path.of("../shared/data", set, set + ".csv"));
      Dataset features = ds.without("label");
      int[] labels = TabularProtocol.labels(ds.column("label"), set, "label");
      for (long seed : seeds) {
        if (!variant.equals("none")) {
          String base = variant.contains("@") ? variant.substring(0, variant.indexOf('@')) : variant;
          double noise = variant.contains("@noise=") ? Double.parseDouble(variant.substring(variant.indexOf("@noise=") + 7)) : -1;
          int apart = base.equals("old") ? -1 : base.equals("new") ? Preprocessor.APART_MAX_OFF_MODE_ROWS
              : Integer.parseInt(base.substring("apart".length()));
          flow(set, features, labels, seed, variant, apart, noise);
        }
        for (String b : baselines) {
          TabularProtocol.BaselineRun r = TabularProtocol.runBaseline(features, labels, seed, Baselines.byName(b));
          var s = r.result();
          System.out.printf(Locale.ROOT, "%s %d %s %.4f %.4f %.3f %.4f %.2f%n", set, seed, b, s.auroc(), s.ap(),
              s.testNll(), s.testNll() / features.dim(), s.fitSeconds());
        }
      }
    }
  }

  static void flow(String set, Dataset features, int[] labels, long seed, String variant, int apart, double noise) {
    TabularProtocol.Split sp = TabularProtocol.split(labels, seed);
    Dataset train = features.rows(sp.train());
    Dataset test = features.rows(sp.test());
    Dataset fit = ModelTrainer.fitted(train, 0.2, seed);
    long t0 = System.nanoTime();
    Preprocessor pre = Preprocessor.fit(train.columns(), fit.values(), fit.rows(), Preprocessor.Options.robust(), apart);
    AutoConfig.Choice c = AutoConfig.choose(fit.rows(), pre.dim(), seed);
    TrainingConfig tc = noise >= 0 ? c.training().withNoise(noise) : c.training();
    Flow flow = FlowFactory.create(c.spec(), seed);
    double[] x = pre.apply(fit.values(), fit.rows());
    TrainingResult r = new Trainer(tc, TrainingListener.NONE).fit(flow, x, fit.rows(), true, pre.dequantization());
    double sec = (System.nanoTime() - t0) / 1e9;
    int m = test.rows();
    double[] lp = flow.logProb(pre.apply(test.values(), m), m);
    double[] nll = new double[m];
    double normal = 0;
    for (int i = 0; i < m; i++) {
      nll[i] = -(lp[i] + pre.logJacobian(test.values(), i * test.dim()));
      if (i < sp.normalTest()) {
        normal += nll[i];
      }
    }
    double testNll = normal / sp.normalTest() + TabularProtocol.standardizationLogScale(train, pre.keptFeatures());
    System.out.printf(Locale.ROOT, "%s %d flow-%s %.4f %.4f %.3f %.4f %.2f dim=%d steps=%d%n", set, seed, variant,
        Metrics.auroc(nll, sp.testLabels()), Metrics.averagePrecision(nll, sp.testLabels()), testNll,
        testNll / features.dim(), sec, pre.dim(), r.steps());
  }
}
