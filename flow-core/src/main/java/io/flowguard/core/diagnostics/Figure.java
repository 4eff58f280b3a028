package io.flowguard.core.diagnostics;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A grid of equally sized cells, each holding one {@link Panel}, written as one PNG. The output depends
 * only on what is drawn (no timestamps), so the same drawing calls give the same file.
 */
public final class Figure {

  private final BufferedImage image;
  private final Graphics2D g;
  private final int cellWidth;
  private final int cellHeight;
  private final int titleHeight;

  /** A grid of square cells of {@code cell} pixels. */
  public Figure(int columns, int rows, int cell, String title) {
    this(columns, rows, cell, cell, title);
  }

  /** A grid of {@code cellWidth x cellHeight} cells, with an optional title bar above it. */
  public Figure(int columns, int rows, int cellWidth, int cellHeight, String title) {
    this.cellWidth = cellWidth;
    this.cellHeight = cellHeight;
    this.titleHeight = title == null ? 0 : 34;
    this.image = new BufferedImage(columns * cellWidth, rows * cellHeight + titleHeight, BufferedImage.TYPE_INT_RGB);
    this.g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(new Color(245, 245, 245));
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    if (title != null) {
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(fit(g, title, image.getWidth() - 24), 12, 23);
    }
  }

  /** The compact square panel at (column, row) showing [xMin, xMax] x [yMin, yMax]. */
  public Panel panel(int column, int row, double xMin, double xMax, double yMin, double yMax, String title) {
    return new Panel(g, column * cellWidth, row * cellHeight + titleHeight, Math.min(cellWidth, cellHeight),
        xMin, xMax, yMin, yMax, title);
  }

  /**
   * The labelled panel at (column, row) filling its cell: room for axis labels, "nice" ticks. Labels may be
   * null.
   */
  public Panel plot(int column, int row, double xMin, double xMax, double yMin, double yMax, String title,
                    String xLabel, String yLabel) {
    return Panel.labelled(g, column * cellWidth, row * cellHeight + titleHeight, cellWidth, cellHeight,
        xMin, xMax, yMin, yMax, title, xLabel, yLabel);
  }

  /** The image drawn so far (for tests and embedding). */
  public BufferedImage image() {
    return image;
  }

  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    g.dispose();
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer available for " + file);
    }
  }

  /** {@code text}, shortened with an ellipsis to fit {@code pixels} in the current font. */
  static String fit(Graphics2D g, String text, int pixels) {
    FontMetrics fm = g.getFontMetrics();
    if (fm.stringWidth(text) <= pixels) {
      return text;
    }
    String ellipsis = "...";
    int end = text.length();
    while (end > 0 && fm.stringWidth(text.substring(0, end) + ellipsis) > pixels) {
      end--;
    }
    return text.substring(0, end) + ellipsis;
  }
}
