import io.flowguard.core.model.*;
import java.util.*;

/**
 * What AutoConfig chooses at large d and small n (issue 16's check of every automatic choice): layers, width,
 * parameters, batch, steps, the modelled fit time (steps x the step-cost model) and the smoothing noise.
 *
 *   java -cp "flow-core/target/flowguard.jar:flow-core/target/lib/*" bench/experiments/AutoConfigTable.java
 */
public class AutoConfigTable {
  public static void main(String[] a) {
    System.out.println("fitted_rows modelled_cols layers width parameters values_per_parameter batch steps modelled_fit_s noise_sd");
    for (int n : new int[] {80, 400, 800, 4000}) {
      for (int d : new int[] {10, 100, 500, 1000, 2000}) {
        AutoConfig.Choice c = AutoConfig.choose(n, d, 0);
        int width = c.spec().hidden()[0];
        long p = io.flowguard.core.flow.FlowFactory.create(c.spec(), 0).parameters().length;
        double step = AutoConfig.STEP_OVERHEAD_SECONDS + AutoConfig.SECONDS_PER_ROW_PARAMETER * c.training().batchSize() * p;
        System.out.printf(Locale.ROOT, "%d %d %d %d %d %.3f %d %d %.1f %.3f%n", n, d, c.spec().layers(), width, p,
            (double) n * d / p, c.training().batchSize(), c.training().steps(), step * c.training().steps(), c.training().noise());
      }
    }
  }
}
