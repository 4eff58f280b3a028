import io.flowguard.core.data.*;
import io.flowguard.core.eval.*;
import io.flowguard.core.flow.*;
import io.flowguard.core.model.*;
import io.flowguard.core.train.*;
import java.nio.file.*;
import java.util.*;

/**
 * Quality experiment behind bench/quality-log.md's "Ensembles of flows" and "A larger step budget": for
 * each seed of the PROTOCOL.md tabular split, fits K flows of the default model (AutoConfig) on exactly
 * the rows ModelTrainer fits on (same calibration hold-out and preprocessor), member 0 with the seed
 * `evaluate` uses (so K1 reproduces the default), the others with derived seeds, and prints the AUROC
 * and the protocol's test NLL of the log-mean-exp ensembles of the first 1..K members, then each
 * member's AUROC, fit seconds and steps run / allowed (E = stopped early). STEP_SCALE multiplies the
 * step budget. Not a product path; the fitted rows are ModelTrainer.fitted's.
 *
 *   mvn -B -q -pl flow-core -am package -DskipTests
 *   java -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" bench/experiments/MemberExperiment.java \
 *       ../shared/data/glass/glass.csv K STEP_SCALE 0,1,2
 */
public class MemberExperiment {
  public static void main(String[] a) throws Exception {
    Path file = Path.of(a[0]);
    int K = Integer.parseInt(a[1]);
    double stepScale = Double.parseDouble(a[2]);
    long[] seeds = Arrays.stream(a[3].split(",")).mapToLong(Long::parseLong).toArray();
    Dataset ds = DataReader.read(file);
    Dataset features = ds.without("label");
    int[] labels = TabularProtocol.labels(ds.column("label"), file.toString(), "label");
    for (long seed : seeds) {
      TabularProtocol.Split sp = TabularProtocol.split(labels, seed);
      Dataset train = features.rows(sp.train());
      Dataset test = features.rows(sp.test());
      ModelTrainer.Options o = ModelTrainer.Options.automatic("e", 1, train, seed, 0.2);
      Dataset fit = ModelTrainer.fitted(train, 0.2, seed);
      Preprocessor pre = Preprocessor.fit(train.columns(), fit.values(), fit.rows(), o.preprocessing());
      FlowSpec spec = ModelTrainer.withDim(o.spec(), pre.dim());
      double[] x = pre.apply(fit.values(), fit.rows());
      double[] xt = pre.apply(test.values(), test.rows());
      int m = test.rows();
      double[] jac = new double[m];
      for (int i = 0; i < m; i++) jac[i] = pre.logJacobian(test.values(), i * test.dim());
      double logScale = TabularProtocol.standardizationLogScale(train, pre.keptFeatures());
      double[][] lps = new double[K][];
      StringBuilder sb = new StringBuilder();
      for (int k = 0; k < K; k++) {
        long ms = k == 0 ? seed : seed * 1_000_003L + 7919L * k;
        TrainingConfig tc = o.training().withSeed(ms);
        if (stepScale != 1.0) {
          int ev = tc.evalEvery();
          int steps = Math.max(ev, (int) (tc.steps() * stepScale) / ev * ev);
          tc = tc.withSteps(steps);
        }
        Flow flow = FlowFactory.create(spec, ms);
        long t0 = System.nanoTime();
        TrainingResult r = new Trainer(tc, TrainingListener.NONE).fit(flow, x, fit.rows(), true, pre.dequantization());
        double sec = (System.nanoTime() - t0) / 1e9;
        double[] lp = flow.logProb(xt, m);
        for (int i = 0; i < m; i++) lp[i] += jac[i];
        lps[k] = lp;
        double[] nll = new double[m]; for (int i = 0; i < m; i++) nll[i] = -lp[i];
        sb.append(String.format(Locale.ROOT, " m%d=%.4f(%.1fs,%d/%d%s)", k, Metrics.auroc(nll, sp.testLabels()), sec, r.steps(), tc.steps(), r.stoppedEarly() ? "E" : ""));
      }
      StringBuilder es = new StringBuilder();
      for (int kk = 1; kk <= K; kk++) {
        double[] nll = new double[m];
        double tn = 0;
        for (int i = 0; i < m; i++) {
          double mx = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < kk; k++) mx = Math.max(mx, lps[k][i]);
          double s = 0; for (int k = 0; k < kk; k++) s += Math.exp(lps[k][i] - mx);
          nll[i] = -(mx + Math.log(s / kk));
          if (i < sp.normalTest()) tn += nll[i];
        }
        es.append(String.format(Locale.ROOT, " K%d=%.4f/%.2f", kk, Metrics.auroc(nll, sp.testLabels()), tn / sp.normalTest() + logScale));
      }
      System.out.printf(Locale.ROOT, "%s seed %d%s |%s%n", file.getFileName(), seed, es, sb);
    }
  }
}
