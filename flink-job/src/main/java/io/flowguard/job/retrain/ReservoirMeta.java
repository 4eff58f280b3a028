package io.flowguard.job.retrain;

import java.util.Arrays;
import java.util.Objects;

/**
 * The bookkeeping of one model's reservoir (its rows live in a map state, slot -> row).
 *
 * <p>Slots {@code 0 .. size-1} are filled. While a drift is declared, the rows admitted since then
 * occupy slots {@code 0 .. driftRows-1}: a drift retraining trains on them alone, and new rows
 * displace the older ones first (see {@link Reservoir}).
 *
 * @param featureNames the schema of the rows (the scoring model's feature names when they were
 *     admitted); empty before the first row
 * @param size rows held
 * @param offered rows offered to the reservoir since it was last emptied (the {@code n} of
 *     reservoir sampling)
 * @param driftRows rows admitted since the drift was declared (0 without a drift)
 * @param contextLayout the layout of the rows' raw contexts (the scoring model's {@code
 *     KeyContext.schemaOf}, carried by its scored events); 0: the rows carry none. Added after
 *     Flowguard 0.1, whose savepoints restore it as 0, which their rows are.
 */
public record ReservoirMeta(String[] featureNames, int size, long offered, int driftRows,
    int contextLayout) {

  public static final ReservoirMeta EMPTY = new ReservoirMeta(new String[0], 0, 0, 0, 0);

  /** The bookkeeping of rows without contexts. */
  public ReservoirMeta(String[] featureNames, int size, long offered, int driftRows) {
    this(featureNames, size, offered, driftRows, 0);
  }

  public ReservoirMeta {
    Objects.requireNonNull(featureNames, "featureNames");
    if (size < 0 || offered < 0 || driftRows < 0 || driftRows > size) {
      throw new IllegalArgumentException("inconsistent reservoir bookkeeping: size " + size
          + ", offered " + offered + ", drift rows " + driftRows);
    }
  }

  ReservoirMeta with(int newSize, long newOffered, int newDriftRows) {
    return new ReservoirMeta(featureNames, newSize, newOffered, newDriftRows, contextLayout);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReservoirMeta m && Arrays.equals(featureNames, m.featureNames)
        && size == m.size && offered == m.offered && driftRows == m.driftRows
        && contextLayout == m.contextLayout;
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(featureNames), size, offered, driftRows, contextLayout);
  }

  @Override
  public String toString() {
    return "ReservoirMeta[" + Arrays.toString(featureNames) + ", size " + size + ", offered "
        + offered + ", drift rows " + driftRows
        + (contextLayout == 0 ? "" : ", context layout " + contextLayout) + "]";
  }
}
