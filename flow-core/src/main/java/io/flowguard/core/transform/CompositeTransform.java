package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Transforms applied one after another. The list is in the <em>density</em> order: data {@code x}
 * enters {@code transforms.get(0)} first on the way to the latent space, so {@link #inverse} runs the
 * list front to back and {@link #forward} (sampling) back to front. Log-determinants add.
 */
public final class CompositeTransform implements Transform {

  private final List<Transform> transforms;
  private final int dim;

  private record CompositeTrace(Trace[] traces, int n) implements Trace {}

  public CompositeTransform(List<Transform> transforms) {
    if (transforms.isEmpty()) {
      throw new IllegalArgumentException("a composite needs at least one transform");
    }
    this.dim = transforms.get(0).dim();
    for (Transform t : transforms) {
      if (t.dim() != dim) {
        throw new IllegalArgumentException("all transforms of a composite must have dimension " + dim
            + ", found " + t.dim() + " in " + t.getClass().getSimpleName());
      }
    }
    this.transforms = List.copyOf(transforms);
  }

  public List<Transform> transforms() {
    return transforms;
  }

  @Override
  public int dim() {
    return dim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    for (Transform t : transforms) {
      t.initialize(theta, rng);
    }
  }

  @Override
  public void initializeFromData(double[] theta, double[] x, int n) {
    double[] cur = x.clone();
    double[] next = new double[cur.length];
    double[] ld = new double[n];
    Workspace ws = new Workspace();
    for (Transform t : transforms) {
      t.initializeFromData(theta, cur, n);
      ws.reset();
      t.inverse(theta, cur, next, ld, n, ws);
      double[] swap = cur;
      cur = next;
      next = swap;
    }
  }

  @Override
  public void sanitize(double[] theta) {
    for (Transform t : transforms) {
      t.sanitize(theta);
    }
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    int k = transforms.size();
    double[] cur = z;
    for (int i = k - 1; i >= 0; i--) {
      double[] out = i == 0 ? x : ws.take(n * dim);
      transforms.get(i).forward(theta, cur, out, logDet, n, ws);
      cur = out;
    }
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    int k = transforms.size();
    double[] cur = x;
    for (int i = 0; i < k; i++) {
      double[] out = i == k - 1 ? z : ws.take(n * dim);
      transforms.get(i).inverse(theta, cur, out, logDet, n, ws);
      cur = out;
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    int k = transforms.size();
    Trace[] traces = new Trace[k];
    double[] cur = x;
    for (int i = 0; i < k; i++) {
      double[] out = i == k - 1 ? z : new double[n * dim];
      traces[i] = transforms.get(i).inverseTrace(theta, cur, out, logDet, n);
      cur = out;
    }
    return new CompositeTrace(traces, n);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    CompositeTrace t = (CompositeTrace) trace;
    int k = transforms.size();
    double[] g = gz;
    for (int i = k - 1; i >= 0; i--) {
      double[] gin = i == 0 ? gx : new double[t.n() * dim];
      transforms.get(i).inverseBackward(theta, t.traces()[i], g, gLogDet, gin, gTheta);
      g = gin;
    }
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    int k = transforms.size();
    Trace[] traces = new Trace[k];
    double[] cur = z;
    for (int i = k - 1; i >= 0; i--) {
      double[] out = i == 0 ? x : new double[n * dim];
      traces[i] = transforms.get(i).forwardTrace(theta, cur, out, logDet, n);
      cur = out;
    }
    return new CompositeTrace(traces, n);
  }

  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    CompositeTrace t = (CompositeTrace) trace;
    int k = transforms.size();
    double[] g = gx;
    for (int i = 0; i < k; i++) {
      double[] gin = i == k - 1 ? gz : new double[t.n() * dim];
      transforms.get(i).forwardBackward(theta, t.traces()[i], g, gLogDet, gin, gTheta);
      g = gin;
    }
  }
}
