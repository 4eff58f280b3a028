import io.flowguard.core.data.*;
import io.flowguard.core.eval.*;
import io.flowguard.core.model.*;
import java.nio.file.*;
import java.util.*;

/**
 * Which columns the default preprocessor models apart (Preprocessor.APART_MAX_OFF_MODE_ROWS / _SHARE) on each
 * set and protocol seed, i.e. where the issue-16 rule can change the default at all: a set with none on a
 * seed trains and scores exactly as before on that seed. No training; prints one line per set and seed.
 *
 *   java -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" bench/experiments/ApartColumns.java SET[,SET..] 0,1,2
 */
public class ApartColumns {
  public static void main(String[] a) throws Exception {
    long[] seeds = Arrays.stream(a[1].split(",")).mapToLong(Long::parseLong).toArray();
    for (String set : a[0].split(",")) {
      Dataset ds = set.startsWith("syn_") ? SyntheticSets.generate(set, 0)
          : DataReader.read(Path.of("../shared/data", set, set + ".csv"));
      Dataset features = ds.without("label");
      int[] labels = TabularProtocol.labels(ds.column("label"), set, "label");
      for (long seed : seeds) {
        Dataset train = features.rows(TabularProtocol.split(labels, seed).train());
        Dataset fit = ModelTrainer.fitted(train, 0.2, seed);
        Preprocessor pre = Preprocessor.fit(train.columns(), fit.values(), fit.rows());
        List<String> apart = pre.features().stream().filter(Preprocessor.Feature::apart).map(f -> f.name()
            + (f.categories().values().size() == 1 ? "(const)" : "(" + (f.categories().total()
            - f.categories().counts().stream().mapToLong(Long::longValue).max().orElse(0)) + " off)")).toList();
        System.out.printf(Locale.ROOT, "%s seed %d: %d of %d columns apart%s%n", set, seed, apart.size(),
            features.dim(), apart.size() > 20 ? "" : " " + apart);
      }
    }
  }
}
