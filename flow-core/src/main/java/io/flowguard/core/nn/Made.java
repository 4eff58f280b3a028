package io.flowguard.core.nn;

/**
 * MADE (Germain et al. 2015): the masks that make a dense MLP autoregressive in a chosen input ordering.
 *
 * <p>Input {@code i} gets degree {@code order[i]} in {@code 1..d}; hidden units get the degrees
 * {@code 1..d-1} in equal shares (as by cycling through them), in increasing order along the layer; a
 * hidden unit sees inputs of degree at most its own; output {@code i*P + q}
 * (parameter q of dimension i) has the degree of input i and sees hidden units of strictly smaller degree.
 * So every output of dimension i depends exactly on the inputs earlier than i in the ordering, and with
 * hidden layers at least {@code d-1} wide, on every one of them.
 *
 * <p>Conditional MADE. With {@code m > 0} context inputs (appended after the d inputs of each row), the
 * context gets degree 0, and the hidden degrees cycle through {@code 0..d-1} instead: every first-layer
 * unit sees the whole context, the units of degree 0 see nothing else, and through them the outputs of
 * the first dimension in the ordering, which see no input at all without context, become functions of
 * the context (so a conditional MADE works from d = 1, where every hidden unit has degree 0). The
 * autoregressive masks between the inputs and the outputs are the same rule, so the Jacobian in x stays
 * triangular in the ordering; with hidden layers at least d wide every output sees every earlier input
 * and the context.
 */
public final class Made {

  private Made() {}

  /**
   * Builds the MLP of a MADE.
   *
   * @param order {@code order[i]} is the 1-based position of input i in the autoregressive ordering
   * @param paramsPerDim outputs per input dimension (2 for an affine MAF)
   */
  public static Mlp build(ParameterLayout layout, String name, int[] order, int[] hidden,
                          int paramsPerDim, Activation activation) {
    return build(layout, name, order, hidden, paramsPerDim, activation, 0);
  }

  /**
   * Builds the MLP of a MADE that also reads {@code contextDim} context values per row, after the d
   * inputs (see the class documentation); {@code contextDim = 0} is the plain MADE.
   */
  public static Mlp build(ParameterLayout layout, String name, int[] order, int[] hidden,
                          int paramsPerDim, Activation activation, int contextDim) {
    int d = order.length;
    validateOrder(order);
    if (contextDim < 0) {
      throw new IllegalArgumentException("the context dimension must not be negative, got " + contextDim);
    }
    int[] sizes = new int[hidden.length + 2];
    sizes[0] = d + contextDim;
    System.arraycopy(hidden, 0, sizes, 1, hidden.length);
    sizes[sizes.length - 1] = d * paramsPerDim;

    int[][] degrees = new int[sizes.length][];
    degrees[0] = java.util.Arrays.copyOf(order, d + contextDim); // context inputs: degree 0
    // Without context, degrees 1..d-1 (degree 0 would be a unit that sees nothing); with context,
    // 0..d-1, degree 0 being the units that see the context only.
    int lowest = contextDim > 0 ? 0 : 1;
    int cycle = contextDim > 0 ? d : Math.max(1, d - 1);
    for (int l = 1; l < sizes.length - 1; l++) {
      degrees[l] = new int[sizes[l]];
      for (int k = 0; k < sizes[l]; k++) {
        degrees[l][k] = (k % cycle) + lowest;
      }
      // The degrees of cycling through 1..d-1, sorted: then the units of this layer that a block of
      // consecutive units of the next layer sees form a prefix (degree at most the block's largest),
      // and the inference kernel (Mlp.forward) skips the rest of the rows, about half of the products.
      java.util.Arrays.sort(degrees[l]);
    }
    int[] outDeg = new int[d * paramsPerDim];
    for (int i = 0; i < d; i++) {
      for (int q = 0; q < paramsPerDim; q++) {
        outDeg[i * paramsPerDim + q] = order[i];
      }
    }
    degrees[sizes.length - 1] = outDeg;

    double[][] masks = new double[sizes.length - 1][];
    for (int l = 0; l < sizes.length - 1; l++) {
      boolean output = l == sizes.length - 2;
      int in = sizes[l];
      int out = sizes[l + 1];
      double[] m = new double[in * out];
      for (int a = 0; a < in; a++) {
        for (int b = 0; b < out; b++) {
          boolean connected = output ? degrees[l + 1][b] > degrees[l][a] : degrees[l + 1][b] >= degrees[l][a];
          m[a * out + b] = connected ? 1.0 : 0.0;
        }
      }
      masks[l] = m;
    }
    return new Mlp(layout, name, sizes, activation, masks, contextDim);
  }

  /** The inputs in the order they are generated: {@code sequence[k]} is the input at position k+1. */
  public static int[] sequence(int[] order) {
    int[] seq = new int[order.length];
    for (int i = 0; i < order.length; i++) {
      seq[order[i] - 1] = i;
    }
    return seq;
  }

  private static void validateOrder(int[] order) {
    boolean[] seen = new boolean[order.length];
    for (int o : order) {
      if (o < 1 || o > order.length || seen[o - 1]) {
        throw new IllegalArgumentException("an ordering must be a permutation of 1.." + order.length);
      }
      seen[o - 1] = true;
    }
  }
}
