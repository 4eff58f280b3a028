package io.flowguard.core.diagnostics;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One 2-D plot: a data window mapped onto a rectangle of pixels, with a title, a frame and tick labels.
 * Panels are drawn into a shared image by {@link Figure}. Headless-safe (plain Java2D).
 *
 * <p>Two layouts: the compact square panel of {@link Figure#panel} (four evenly spaced tick labels), and
 * the labelled panel of {@link Figure#plot}, with room for axis labels and "nice" ticks (1, 2, 2.5, 5
 * times a power of ten). Drawing calls clip to the plotting area; call {@link #frame()} last.
 */
public final class Panel {

  static final int MARGIN = 44;

  /** Margins of the labelled layout (pixels): left, top, right, bottom. */
  static final int PLOT_LEFT = 76;
  static final int PLOT_TOP = 30;
  static final int PLOT_RIGHT = 20;
  static final int PLOT_BOTTOM = 52;

  /** A corner of the plotting area, for legends and notes. */
  public enum Corner { TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT }

  /** How a legend entry is drawn. */
  public enum Style { LINE, DASHED, DOT, BOX }

  /** One legend entry. */
  public record Key(String label, Color color, Style style) {}

  private final Graphics2D g;
  private final int left;
  private final int top;
  private final int width;
  private final int height;
  private final double xMin;
  private final double xMax;
  private final double yMin;
  private final double yMax;
  private final String xLabel;
  private final String yLabel;
  private final boolean labelled;
  /** Lower edge (pixels) of the legend or note box last drawn in each corner, to stack boxes. */
  private final int[] cornerOffset = new int[Corner.values().length];

  /** The compact square layout. */
  Panel(Graphics2D g, int left, int top, int size, double xMin, double xMax, double yMin, double yMax, String title) {
    this(g, left + MARGIN, top + 28, size - MARGIN - 12, size - MARGIN - 12, xMin, xMax, yMin, yMax, title,
        null, null, false);
  }

  /** The labelled layout inside a {@code cellWidth x cellHeight} cell at (cellLeft, cellTop). */
  static Panel labelled(Graphics2D g, int cellLeft, int cellTop, int cellWidth, int cellHeight, double xMin,
                        double xMax, double yMin, double yMax, String title, String xLabel, String yLabel) {
    return new Panel(g, cellLeft + PLOT_LEFT, cellTop + PLOT_TOP, cellWidth - PLOT_LEFT - PLOT_RIGHT,
        cellHeight - PLOT_TOP - PLOT_BOTTOM, xMin, xMax, yMin, yMax, title, xLabel, yLabel, true);
  }

  private Panel(Graphics2D g, int left, int top, int width, int height, double xMin, double xMax, double yMin,
                double yMax, String title, String xLabel, String yLabel, boolean labelled) {
    if (!(xMax > xMin) || !(yMax > yMin) || !Double.isFinite(xMax - xMin) || !Double.isFinite(yMax - yMin)) {
      throw new IllegalArgumentException("empty or non-finite window [" + xMin + ", " + xMax + "] x ["
          + yMin + ", " + yMax + "]");
    }
    this.g = g;
    this.left = left;
    this.top = top;
    this.width = width;
    this.height = height;
    this.xMin = xMin;
    this.xMax = xMax;
    this.yMin = yMin;
    this.yMax = yMax;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.labelled = labelled;
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    g.setColor(Color.WHITE);
    g.fillRect(left, top, width, height);
    if (title != null) {
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      int room = labelled ? width + PLOT_LEFT - 30 : width;
      g.drawString(Figure.fit(g, title, room), labelled ? left - PLOT_LEFT + 12 : left, top - 10);
    }
  }

  int px(double x) {
    return left + (int) Math.round((x - xMin) / (xMax - xMin) * width);
  }

  int py(double y) {
    return top + height - (int) Math.round((y - yMin) / (yMax - yMin) * height);
  }

  /** Sub-pixel x position (for lines). */
  private double fx(double x) {
    return left + (x - xMin) / (xMax - xMin) * width;
  }

  private double fy(double y) {
    return top + height - (y - yMin) / (yMax - yMin) * height;
  }

  private void clip() {
    g.setClip(left, top, width + 1, height + 1);
  }

  private void unclip() {
    g.setClip(null);
    g.setStroke(new BasicStroke(1f));
  }

  private static Stroke stroke(float width, boolean dashed) {
    return dashed
        ? new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f)
        : new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  }

  /** Row-major n x 2 points as small translucent dots. */
  public Panel points(double[] xy, int n, Color color) {
    return points(xy, n, color, 1.5, 90);
  }

  /** Row-major n x 2 points as dots of the given radius (pixels) and alpha (0-255). */
  public Panel points(double[] xy, int n, Color color, double radius, int alpha) {
    g.setColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), alpha));
    clip();
    for (int i = 0; i < n; i++) {
      double x = xy[2 * i];
      double y = xy[2 * i + 1];
      if (Double.isFinite(x) && Double.isFinite(y)) {
        g.fill(new Ellipse2D.Double(fx(x) - radius, fy(y) - radius, 2 * radius, 2 * radius));
      }
    }
    unclip();
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
    g.drawImage(tile, left, top, width, height, null);
    return this;
  }

  /**
   * The level set {@code values = level} of a {@code res x res} grid laid out as in {@link #heatmap} (cell
   * centres), traced by marching squares with linear interpolation along cell edges.
   */
  public Panel contour(double[] values, int res, double level, Color color, float lineWidth) {
    g.setColor(color);
    g.setStroke(stroke(lineWidth, false));
    clip();
    double cw = (xMax - xMin) / res;
    double ch = (yMax - yMin) / res;
    for (int iy = 0; iy + 1 < res; iy++) {
      for (int ix = 0; ix + 1 < res; ix++) {
        // Corners counter-clockwise from bottom-left.
        double[] v = {values[iy * res + ix], values[iy * res + ix + 1], values[(iy + 1) * res + ix + 1],
            values[(iy + 1) * res + ix]};
        double[] cx = {ix, ix + 1, ix + 1, ix};
        double[] cy = {iy, iy, iy + 1, iy + 1};
        List<double[]> cross = new ArrayList<>(4);
        for (int e = 0; e < 4; e++) {
          double a = v[e];
          double b = v[(e + 1) % 4];
          if (!Double.isFinite(a) || !Double.isFinite(b)) {
            continue;
          }
          if ((a >= level) != (b >= level)) {
            double t = (level - a) / (b - a);
            double gx = cx[e] + t * (cx[(e + 1) % 4] - cx[e]);
            double gy = cy[e] + t * (cy[(e + 1) % 4] - cy[e]);
            cross.add(new double[] {xMin + (gx + 0.5) * cw, yMin + (gy + 0.5) * ch});
          }
        }
        // Two crossings: one segment; four (a saddle): pair them around the cell.
        for (int k = 0; k + 1 < cross.size(); k += 2) {
          double[] p = cross.get(k);
          double[] q = cross.get(k + 1);
          g.draw(new Line2D.Double(fx(p[0]), fy(p[1]), fx(q[0]), fy(q[1])));
        }
      }
    }
    unclip();
    return this;
  }

  /** An axis-aligned ellipse centred at (cx, cy) with radii (rx, ry) in data units. */
  public Panel ellipse(double cx, double cy, double rx, double ry, Color color, float lineWidth) {
    g.setColor(color);
    g.setStroke(new BasicStroke(lineWidth));
    clip();
    double x0 = fx(cx - rx);
    double x1 = fx(cx + rx);
    double y0 = fy(cy + ry);
    double y1 = fy(cy - ry);
    g.draw(new Ellipse2D.Double(x0, y0, x1 - x0, y1 - y0));
    unclip();
    return this;
  }

  /**
   * A polyline through the row-major n x 2 points {@code xy}; a non-finite point breaks the line into
   * pieces.
   */
  public Panel polyline(double[] xy, int n, Color color, float lineWidth, boolean dashed) {
    g.setColor(color);
    g.setStroke(stroke(lineWidth, dashed));
    clip();
    Path2D.Double path = new Path2D.Double();
    boolean open = false;
    for (int i = 0; i < n; i++) {
      double x = xy[2 * i];
      double y = xy[2 * i + 1];
      if (!Double.isFinite(x) || !Double.isFinite(y)) {
        open = false;
        continue;
      }
      // Keep far-away points representable: Java2D misbehaves with coordinates near int overflow.
      double sx = Math.max(-1e5, Math.min(1e5, fx(x)));
      double sy = Math.max(-1e5, Math.min(1e5, fy(y)));
      if (open) {
        path.lineTo(sx, sy);
      } else {
        path.moveTo(sx, sy);
        open = true;
      }
    }
    g.draw(path);
    unclip();
    return this;
  }

  /** A line plot of ys against xs (a polyline through (xs[i], ys[i])). */
  public Panel line(double[] xs, double[] ys, Color color, float lineWidth, boolean dashed) {
    if (xs.length != ys.length) {
      throw new IllegalArgumentException("xs and ys differ in length: " + xs.length + " != " + ys.length);
    }
    double[] xy = new double[2 * xs.length];
    for (int i = 0; i < xs.length; i++) {
      xy[2 * i] = xs[i];
      xy[2 * i + 1] = ys[i];
    }
    return polyline(xy, xs.length, color, lineWidth, dashed);
  }

  /** A straight segment between two data points. */
  public Panel segment(double x0, double y0, double x1, double y1, Color color, float lineWidth, boolean dashed) {
    return polyline(new double[] {x0, y0, x1, y1}, 2, color, lineWidth, dashed);
  }

  /** A vertical line across the window at x. */
  public Panel vline(double x, Color color, float lineWidth, boolean dashed) {
    return segment(x, yMin, x, yMax, color, lineWidth, dashed);
  }

  /**
   * Histogram bars: bar i covers [edges[i], edges[i + 1]] with height heights[i], filled with
   * {@code fills[i]} (one colour per bar) and outlined in a darker shade.
   */
  public Panel bars(double[] edges, double[] heights, Color[] fills) {
    clip();
    for (int i = 0; i < heights.length; i++) {
      if (!(heights[i] > 0)) {
        continue;
      }
      double x0 = fx(edges[i]);
      double x1 = fx(edges[i + 1]);
      double y1 = fy(Math.min(heights[i], yMax * 2));
      double y0 = fy(Math.max(0, yMin));
      Rectangle2D.Double r = new Rectangle2D.Double(x0, y1, x1 - x0, y0 - y1);
      g.setColor(fills[i]);
      g.fill(r);
      g.setColor(fills[i].darker());
      g.setStroke(new BasicStroke(0.6f));
      g.draw(r);
    }
    unclip();
    return this;
  }

  /** A rug: a short vertical tick at the bottom of the plotting area for each x in the window. */
  public Panel rug(double[] xs, Color color) {
    g.setColor(color);
    g.setStroke(new BasicStroke(1.2f));
    clip();
    for (double x : xs) {
      if (x >= xMin && x <= xMax) {
        double sx = fx(x);
        g.draw(new Line2D.Double(sx, top + height - 1, sx, top + height - 11));
      }
    }
    unclip();
    return this;
  }

  /** Text at a data position; {@code anchorRight} puts its right end there, otherwise its left end. */
  public Panel label(double x, double y, String text, Color color, boolean anchorRight) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    int w = fm.stringWidth(text);
    int sx = (int) Math.round(fx(x)) + (anchorRight ? -w - 4 : 4);
    sx = Math.max(left + 2, Math.min(left + width - w - 2, sx));
    int sy = (int) Math.round(fy(y));
    sy = Math.max(top + fm.getAscent() + 2, Math.min(top + height - 4, sy));
    g.setColor(new Color(255, 255, 255, 200));
    g.fillRect(sx - 2, sy - fm.getAscent(), w + 4, fm.getAscent() + fm.getDescent());
    g.setColor(color);
    g.drawString(text, sx, sy);
    return this;
  }

  /** A legend box in a corner of the plotting area; boxes in the same corner stack. */
  public Panel legend(Corner corner, Key... keys) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    int swatch = 26;
    int lineH = fm.getHeight() + 2;
    int textW = 0;
    for (Key k : keys) {
      textW = Math.max(textW, fm.stringWidth(k.label()));
    }
    int maxText = width - swatch - 30;
    int boxW = Math.min(textW, maxText) + swatch + 18;
    int boxH = keys.length * lineH + 8;
    int[] xy = place(corner, boxW, boxH);
    box(xy[0], xy[1], boxW, boxH);
    for (int i = 0; i < keys.length; i++) {
      Key k = keys[i];
      int cy = xy[1] + 4 + i * lineH + lineH / 2;
      int sx = xy[0] + 7;
      g.setColor(k.color());
      switch (k.style()) {
        case LINE, DASHED -> {
          g.setStroke(k.style() == Style.DASHED
              ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {5f, 3f}, 0f)
              : new BasicStroke(2f));
          g.drawLine(sx, cy, sx + swatch - 4, cy);
          g.setStroke(new BasicStroke(1f));
        }
        case DOT -> g.fill(new Ellipse2D.Double(sx + swatch / 2.0 - 5, cy - 3.5, 7, 7));
        case BOX -> g.fillRect(sx + 3, cy - 5, swatch - 10, 10);
        default -> throw new IllegalStateException();
      }
      g.setColor(Color.BLACK);
      g.drawString(Figure.fit(g, k.label(), maxText), sx + swatch + 4, cy + fm.getAscent() / 2 - 1);
    }
    return this;
  }

  /** Lines of text in a box in a corner of the plotting area; boxes in the same corner stack. */
  public Panel notes(Corner corner, Color color, String... lines) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    int lineH = fm.getHeight();
    int textW = 0;
    for (String s : lines) {
      textW = Math.max(textW, fm.stringWidth(s));
    }
    int maxText = width - 30;
    int boxW = Math.min(textW, maxText) + 14;
    int boxH = lines.length * lineH + 8;
    int[] xy = place(corner, boxW, boxH);
    box(xy[0], xy[1], boxW, boxH);
    g.setColor(color);
    for (int i = 0; i < lines.length; i++) {
      g.drawString(Figure.fit(g, lines[i], maxText), xy[0] + 7, xy[1] + 4 + i * lineH + fm.getAscent());
    }
    return this;
  }

  private int[] place(Corner corner, int boxW, int boxH) {
    int pad = 8;
    int off = cornerOffset[corner.ordinal()];
    boolean right = corner == Corner.TOP_RIGHT || corner == Corner.BOTTOM_RIGHT;
    boolean bottom = corner == Corner.BOTTOM_LEFT || corner == Corner.BOTTOM_RIGHT;
    int x = right ? left + width - pad - boxW : left + pad;
    int y = bottom ? top + height - pad - off - boxH : top + pad + off;
    cornerOffset[corner.ordinal()] = off + boxH + 6;
    return new int[] {x, y};
  }

  private void box(int x, int y, int w, int h) {
    g.setColor(new Color(255, 255, 255, 225));
    g.fillRect(x, y, w, h);
    g.setColor(new Color(160, 160, 160));
    g.drawRect(x, y, w, h);
  }

  /** A text note in the top-left corner of the plotting area. */
  public Panel note(String text, Color color) {
    g.setColor(color);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(text, left + 6, top + 16);
    return this;
  }

  /** Light grid lines at the tick positions (labelled layout); call before drawing data. */
  public Panel grid() {
    g.setColor(new Color(232, 232, 232));
    g.setStroke(new BasicStroke(1f));
    for (double x : ticks(xMin, xMax, width)) {
      g.drawLine(px(x), top, px(x), top + height);
    }
    for (double y : ticks(yMin, yMax, height)) {
      g.drawLine(left, py(y), left + width, py(y));
    }
    return this;
  }

  /** Frame, tick labels and (labelled layout) axis labels; call last. */
  public void frame() {
    g.setStroke(new BasicStroke(1f));
    g.setColor(Color.DARK_GRAY);
    g.drawRect(left, top, width, height);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    if (!labelled) {
      for (int i = 0; i <= 4; i++) {
        double x = xMin + (xMax - xMin) * i / 4;
        double y = yMin + (yMax - yMin) * i / 4;
        String xs = String.format(Locale.ROOT, "%.1f", x);
        String ys = String.format(Locale.ROOT, "%.1f", y);
        g.drawLine(px(x), top + height, px(x), top + height + 4);
        g.drawString(xs, px(x) - 10, top + height + 16);
        g.drawLine(left - 4, py(y), left, py(y));
        g.drawString(ys, left - 36, py(y) + 4);
      }
      return;
    }
    FontMetrics fm = g.getFontMetrics();
    double[] xt = ticks(xMin, xMax, width);
    for (double x : xt) {
      String s = tickLabel(x, xt);
      g.drawLine(px(x), top + height, px(x), top + height + 4);
      g.drawString(s, px(x) - fm.stringWidth(s) / 2, top + height + 6 + fm.getAscent());
    }
    double[] yt = ticks(yMin, yMax, height);
    for (double y : yt) {
      String s = tickLabel(y, yt);
      g.drawLine(left - 4, py(y), left, py(y));
      g.drawString(s, left - 7 - fm.stringWidth(s), py(y) + fm.getAscent() / 2 - 1);
    }
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics lm = g.getFontMetrics();
    if (xLabel != null) {
      String s = Figure.fit(g, xLabel, width);
      g.drawString(s, left + (width - lm.stringWidth(s)) / 2, top + height + 24 + lm.getAscent());
    }
    if (yLabel != null) {
      String s = Figure.fit(g, yLabel, height);
      AffineTransform saved = g.getTransform();
      g.rotate(-Math.PI / 2);
      // After rotating by -90 degrees, (x, y) draws at screen (y, -x).
      g.drawString(s, -(top + (height + lm.stringWidth(s)) / 2), left - PLOT_LEFT + 4 + lm.getAscent());
      g.setTransform(saved);
    }
  }

  /** "Nice" tick positions inside [lo, hi]: about one every 70 pixels. */
  static double[] ticks(double lo, double hi, int pixels) {
    int target = (int) Math.max(2, Math.min(10, Math.round(pixels / 70.0)));
    double step = niceStep((hi - lo) / target);
    double first = Math.ceil(lo / step - 1e-9) * step;
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      double t = first + i * step;
      if (t > hi + 1e-9 * step) {
        break;
      }
      out.add(Math.abs(t) < 1e-12 * step ? 0.0 : t);
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** 1, 2, 2.5 or 5 times a power of ten, the nearest to {@code raw} (geometrically). */
  static double niceStep(double raw) {
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    double m = raw / p;
    double nice = m < 1.42 ? 1 : m < 2.24 ? 2 : m < 3.54 ? 2.5 : m < 7.08 ? 5 : 10;
    return nice * p;
  }

  /** A tick label with as many decimals as the tick spacing needs. */
  static String tickLabel(double v, double[] ticks) {
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(v);
    double mag = Math.max(Math.abs(ticks[0]), Math.abs(ticks[ticks.length - 1]));
    if (mag >= 1e6 || (mag > 0 && mag < 1e-3)) {
      return String.format(Locale.ROOT, "%.3g", v);
    }
    int decimals = 0;
    while (decimals < 6 && Math.abs(step * Math.pow(10, decimals) - Math.rint(step * Math.pow(10, decimals)))
        > 1e-6 * step * Math.pow(10, decimals)) {
      decimals++;
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
