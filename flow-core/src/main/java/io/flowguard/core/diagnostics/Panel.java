package io.flowguard.core.diagnostics;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.Locale;

/**
 * One square 2-D plot: a data window mapped onto pixels, with a title, a frame and tick labels. Panels
 * are drawn into a shared image by {@link Figure}. Headless-safe (plain Java2D).
 */
public final class Panel {

  static final int MARGIN = 44;

  private final Graphics2D g;
  private final int left;
  private final int top;
  private final int size;
  private final double xMin;
  private final double xMax;
  private final double yMin;
  private final double yMax;

  Panel(Graphics2D g, int left, int top, int size, double xMin, double xMax, double yMin, double yMax, String title) {
    this.g = g;
    this.left = left + MARGIN;
    this.top = top + 28;
    this.size = size - MARGIN - 12;
    this.xMin = xMin;
    this.xMax = xMax;
    this.yMin = yMin;
    this.yMax = yMax;
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(this.left, this.top, this.size, this.size);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, this.left, top + 18);
  }

  int px(double x) {
    return left + (int) Math.round((x - xMin) / (xMax - xMin) * size);
  }

  int py(double y) {
    return top + size - (int) Math.round((y - yMin) / (yMax - yMin) * size);
  }

  /** Row-major n x 2 points as small translucent dots. */
  public Panel points(double[] xy, int n, Color color) {
    g.setColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), 90));
    g.setClip(left, top, size, size);
    for (int i = 0; i < n; i++) {
      double x = xy[2 * i];
      double y = xy[2 * i + 1];
      if (Double.isFinite(x) && Double.isFinite(y)) {
        g.fill(new Ellipse2D.Double(px(x) - 1.5, py(y) - 1.5, 3, 3));
      }
    }
    g.setClip(null);
    return this;
  }

  /** A heat map of {@code values} on a {@code res x res} grid over the window (row 0 at the bottom). */
  public Panel heatmap(double[] values, int res) {
    double max = 0.0;
    for (double v : values) {
      if (Double.isFinite(v)) {
        max = Math.max(max, v);
      }
    }
    BufferedImage tile = new BufferedImage(res, res, BufferedImage.TYPE_INT_RGB);
    for (int iy = 0; iy < res; iy++) {
      for (int ix = 0; ix < res; ix++) {
        double v = values[iy * res + ix];
        double t = max > 0 && Double.isFinite(v) ? v / max : 0.0;
        tile.setRGB(ix, res - 1 - iy, ColorMap.viridis(t).getRGB());
      }
    }
    g.drawImage(tile, left, top, size, size, null);
    return this;
  }

  /** An axis-aligned ellipse centred at (cx, cy) with radii (rx, ry) in data units. */
  public Panel ellipse(double cx, double cy, double rx, double ry, Color color, float width) {
    g.setColor(color);
    g.setStroke(new BasicStroke(width));
    g.setClip(left, top, size, size);
    int x0 = px(cx - rx);
    int x1 = px(cx + rx);
    int y0 = py(cy + ry);
    int y1 = py(cy - ry);
    g.draw(new Ellipse2D.Double(x0, y0, x1 - x0, y1 - y0));
    g.setClip(null);
    g.setStroke(new BasicStroke(1f));
    return this;
  }

  /** A text note in the top-left corner of the plotting area. */
  public Panel note(String text, Color color) {
    g.setColor(color);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(text, left + 6, top + 16);
    return this;
  }

  /** Frame and tick labels; call last. */
  public void frame() {
    g.setColor(Color.DARK_GRAY);
    g.drawRect(left, top, size, size);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int i = 0; i <= 4; i++) {
      double x = xMin + (xMax - xMin) * i / 4;
      double y = yMin + (yMax - yMin) * i / 4;
      String xs = String.format(Locale.ROOT, "%.1f", x);
      String ys = String.format(Locale.ROOT, "%.1f", y);
      g.drawLine(px(x), top + size, px(x), top + size + 4);
      g.drawString(xs, px(x) - 10, top + size + 16);
      g.drawLine(left - 4, py(y), left, py(y));
      g.drawString(ys, left - 36, py(y) + 4);
    }
  }
}
