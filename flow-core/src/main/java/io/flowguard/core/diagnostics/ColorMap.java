package io.flowguard.core.diagnostics;

import java.awt.Color;

/** A perceptually ordered dark-blue to yellow colour map (viridis-like), piecewise linear. */
final class ColorMap {

  private static final int[][] STOPS = {
      {68, 1, 84}, {72, 40, 120}, {62, 74, 137}, {49, 104, 142}, {38, 130, 142},
      {31, 158, 137}, {53, 183, 121}, {109, 205, 89}, {180, 222, 44}, {253, 231, 37}};

  private ColorMap() {}

  static Color viridis(double t) {
    double c = Math.max(0.0, Math.min(1.0, t)) * (STOPS.length - 1);
    int i = Math.min(STOPS.length - 2, (int) Math.floor(c));
    double f = c - i;
    int[] a = STOPS[i];
    int[] b = STOPS[i + 1];
    return new Color(
        (int) Math.round(a[0] + f * (b[0] - a[0])),
        (int) Math.round(a[1] + f * (b[1] - a[1])),
        (int) Math.round(a[2] + f * (b[2] - a[2])));
  }
}
