package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Transforms applied one after another. The list is in the <em>density</em> order: data {@code x}
 * enters {@code transforms.get(0)} first on the way to the latent space, so {@link #inverse} runs the
 * list front to back and {@link #forward} (sampling) back to front. Log-determinants add.
 *
 * <p>The context of a conditional flow goes to every transform; the composite's {@link #contextDim()}
 * is that of its conditional transforms, which must all read the same number of context values.
 */
public final class CompositeTransform implements Transform {

  private final List<Transform> transforms;
  private final int dim;
  private final int contextDim;

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
    int m = 0;
    for (Transform t : transforms) {
      if (t.contextDim() > 0 && m > 0 && t.contextDim() != m) {
        throw new IllegalArgumentException("the conditional transforms of a composite must read the same context"
            + " dimension: found " + m + " and " + t.contextDim() + " (" + t.getClass().getSimpleName() + ")");
      }
      m = Math.max(m, t.contextDim());
    }
    this.contextDim = m;
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
  public int contextDim() {
    return contextDim;
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    for (Transform t : transforms) {
      t.initialize(theta, rng);
    }
  }

  @Override
  public void initializeFromData(double[] theta, double[] x, int n) {
    initializeFromData(theta, x, null, n);
  }

  @Override
  public void initializeFromData(double[] theta, double[] x, double[] c, int n) {
    double[] cur = x.clone();
    double[] next = new double[cur.length];
    double[] ld = new double[n];
    Workspace ws = new Workspace();
    for (Transform t : transforms) {
      ws.reset();
      if (c == null) {
        t.initializeFromData(theta, cur, n);
        t.inverse(theta, cur, next, ld, n, ws);
      } else {
        t.initializeFromData(theta, cur, c, n);
        t.inverse(theta, cur, c, next, ld, n, ws);
      }
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
    forward(theta, z, null, x, logDet, n, ws);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    inverse(theta, x, null, z, logDet, n, ws);
  }

  /**
   * {@inheritDoc} A null context calls each transform's context-free method (so a conditional transform
   * fails, naming the overload to call).
   */
  @Override
  public void forward(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    int k = transforms.size();
    double[] cur = z;
    for (int i = k - 1; i >= 0; i--) {
      double[] out = i == 0 ? x : ws.take(n * dim);
      if (c == null) {
        transforms.get(i).forward(theta, cur, out, logDet, n, ws);
      } else {
        transforms.get(i).forward(theta, cur, c, out, logDet, n, ws);
      }
      cur = out;
    }
  }

  /**
   * {@inheritDoc} A null context calls each transform's context-free method (so a conditional transform
   * fails, naming the overload to call).
   */
  @Override
  public void inverse(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n, Workspace ws) {
    int k = transforms.size();
    double[] cur = x;
    for (int i = 0; i < k; i++) {
      double[] out = i == k - 1 ? z : ws.take(n * dim);
      if (c == null) {
        transforms.get(i).inverse(theta, cur, out, logDet, n, ws);
      } else {
        transforms.get(i).inverse(theta, cur, c, out, logDet, n, ws);
      }
      cur = out;
    }
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return inverseTrace(theta, x, null, z, logDet, n);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n) {
    int k = transforms.size();
    Trace[] traces = new Trace[k];
    double[] cur = x;
    for (int i = 0; i < k; i++) {
      double[] out = i == k - 1 ? z : new double[n * dim];
      traces[i] = c == null
          ? transforms.get(i).inverseTrace(theta, cur, out, logDet, n)
          : transforms.get(i).inverseTrace(theta, cur, c, out, logDet, n);
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
    return forwardTrace(theta, z, null, x, logDet, n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n) {
    int k = transforms.size();
    Trace[] traces = new Trace[k];
    double[] cur = z;
    for (int i = k - 1; i >= 0; i--) {
      double[] out = i == 0 ? x : new double[n * dim];
      traces[i] = c == null
          ? transforms.get(i).forwardTrace(theta, cur, out, logDet, n)
          : transforms.get(i).forwardTrace(theta, cur, c, out, logDet, n);
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
