package io.flowguard.core.transform;

import io.flowguard.core.nn.Workspace;
import java.util.SplittableRandom;

/**
 * The inverse of a transform: its sampling direction is the wrapped transform's density direction and
 * vice versa. An IAF is {@code new InverseTransform(maf)}: one-pass sampling, sequential density. The
 * context of a conditional inner transform passes through unchanged.
 */
public final class InverseTransform implements Transform {

  private final Transform inner;

  public InverseTransform(Transform inner) {
    this.inner = inner;
  }

  public Transform inner() {
    return inner;
  }

  @Override
  public int dim() {
    return inner.dim();
  }

  @Override
  public int contextDim() {
    return inner.contextDim();
  }

  @Override
  public void initialize(double[] theta, SplittableRandom rng) {
    inner.initialize(theta, rng);
  }

  @Override
  public void sanitize(double[] theta) {
    inner.sanitize(theta);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] x, double[] logDet, int n, Workspace ws) {
    inner.inverse(theta, z, x, logDet, n, ws);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] z, double[] logDet, int n, Workspace ws) {
    inner.forward(theta, x, z, logDet, n, ws);
  }

  @Override
  public void forward(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n, Workspace ws) {
    inner.inverse(theta, z, c, x, logDet, n, ws);
  }

  @Override
  public void inverse(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n, Workspace ws) {
    inner.forward(theta, x, c, z, logDet, n, ws);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] c, double[] z, double[] logDet, int n) {
    return inner.forwardTrace(theta, x, c, z, logDet, n);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] c, double[] x, double[] logDet, int n) {
    return inner.inverseTrace(theta, z, c, x, logDet, n);
  }

  @Override
  public Trace inverseTrace(double[] theta, double[] x, double[] z, double[] logDet, int n) {
    return inner.forwardTrace(theta, x, z, logDet, n);
  }

  @Override
  public void inverseBackward(double[] theta, Trace trace, double[] gz, double[] gLogDet, double[] gx,
                              double[] gTheta) {
    inner.forwardBackward(theta, trace, gz, gLogDet, gx, gTheta);
  }

  @Override
  public Trace forwardTrace(double[] theta, double[] z, double[] x, double[] logDet, int n) {
    return inner.inverseTrace(theta, z, x, logDet, n);
  }

  @Override
  public void forwardBackward(double[] theta, Trace trace, double[] gx, double[] gLogDet, double[] gz,
                              double[] gTheta) {
    inner.inverseBackward(theta, trace, gx, gLogDet, gz, gTheta);
  }
}
