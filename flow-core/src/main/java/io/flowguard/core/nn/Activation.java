package io.flowguard.core.nn;

/** Hidden-layer nonlinearities of conditioner networks. All are smooth except RELU at 0. */
public enum Activation {
  TANH {
    @Override public double apply(double x) { return FastMath.tanh(x); }
    @Override public double derivative(double pre, double post) { return 1.0 - post * post; }
  },
  RELU {
    @Override public double apply(double x) { return x > 0 ? x : 0.0; }
    @Override public double derivative(double pre, double post) { return pre > 0 ? 1.0 : 0.0; }
  },
  /** ELU with alpha = 1: smooth derivative at 0 from the left, no dead units. */
  ELU {
    @Override public double apply(double x) { return x > 0 ? x : Math.expm1(x); }
    @Override public double derivative(double pre, double post) { return pre > 0 ? 1.0 : post + 1.0; }
  };

  public abstract double apply(double x);

  /** d apply / d pre, given the pre-activation and the activation value. */
  public abstract double derivative(double pre, double post);

  /** Parses {@code tanh}, {@code relu} or {@code elu}, case-insensitively. */
  public static Activation parse(String name) {
    for (Activation a : values()) {
      if (a.name().equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown activation '" + name + "': use tanh, relu or elu");
  }
}
