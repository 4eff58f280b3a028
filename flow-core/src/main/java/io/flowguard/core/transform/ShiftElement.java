package io.flowguard.core.transform;

/** The additive element {@code x = z + t} of NICE: volume-preserving, log-det zero. */
public final class ShiftElement implements ElementwiseBijection {

  @Override
  public int paramsPerDim() {
    return 1;
  }

  @Override
  public double[] identityParams() {
    return new double[] {0.0};
  }

  @Override
  public double forward(double z, double[] p, int off, double[] out, int outIdx) {
    out[outIdx] = z + p[off];
    return 0.0;
  }

  @Override
  public double inverse(double x, double[] p, int off, double[] out, int outIdx) {
    out[outIdx] = x - p[off];
    return 0.0;
  }

  @Override
  public double inverseBackward(double x, double[] p, int off, double gz, double gLogDet, double[] gp, int gpOff) {
    gp[gpOff] -= gz;
    return gz;
  }

  @Override
  public double forwardBackward(double z, double[] p, int off, double gx, double gLogDet, double[] gp, int gpOff) {
    gp[gpOff] += gx;
    return gx;
  }
}
