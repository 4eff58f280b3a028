package io.flowguard.core.eval.baseline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The classical baselines {@code flowguard evaluate --baselines} knows, by name: {@code kde} (Gaussian
 * KDE, Scott's factor, isotropic kernels in the standardized space, as scikit-learn), {@code gmm}
 * (Gaussian mixture, components by BIC) and {@code kde-full} (Gaussian KDE with Scott's factor times
 * the data covariance, as scipy) and {@code iforest} (isolation forest, 100 trees of 256 rows: an anomaly
 * score, not a density; see {@link IsolationForest}).
 */
public final class Baselines {

  private static final Map<String, BaselineFitter> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("kde", (rows, n, d, seed) -> GaussianKde.fit(rows, n, d, GaussianKde.Bandwidth.SCOTT_ISOTROPIC));
    BY_NAME.put("gmm", (rows, n, d, seed) -> GaussianMixtureBic.fit(rows, n, d, seed));
    BY_NAME.put("kde-full", (rows, n, d, seed) -> GaussianKde.fit(rows, n, d, GaussianKde.Bandwidth.SCOTT_FULL_COVARIANCE));
    BY_NAME.put("iforest", IsolationForest::fit);
  }

  private Baselines() {}

  /** The valid names, in the order they are documented. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /**
   * The fitter of {@code name} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the valid baselines if {@code name} is not one of them
   */
  public static BaselineFitter byName(String name) {
    BaselineFitter f = BY_NAME.get(name.trim().toLowerCase(Locale.ROOT));
    if (f == null) {
      throw new IllegalArgumentException("unknown baseline '" + name + "'; the baselines are "
          + String.join(", ", names()));
    }
    return f;
  }

  /**
   * Validated, lower-cased, de-duplicated names in the order given.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static List<String> parse(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (n.isBlank()) {
        continue;
      }
      byName(n);
      String key = n.trim().toLowerCase(Locale.ROOT);
      if (!out.contains(key)) {
        out.add(key);
      }
    }
    return out;
  }
}
