package io.flowguard.core.diagnostics;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** A grid of square {@link Panel}s written as one PNG. */
public final class Figure {

  private final BufferedImage image;
  private final Graphics2D g;
  private final int cell;
  private final int titleHeight;

  public Figure(int columns, int rows, int cell, String title) {
    this.cell = cell;
    this.titleHeight = title == null ? 0 : 34;
    this.image = new BufferedImage(columns * cell, rows * cell + titleHeight, BufferedImage.TYPE_INT_RGB);
    this.g = image.createGraphics();
    g.setColor(new Color(245, 245, 245));
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    if (title != null) {
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, 12, 23);
    }
  }

  /** The panel at (column, row) showing the data window [xMin, xMax] x [yMin, yMax]. */
  public Panel panel(int column, int row, double xMin, double xMax, double yMin, double yMax, String title) {
    return new Panel(g, column * cell, row * cell + titleHeight, cell, xMin, xMax, yMin, yMax, title);
  }

  public void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }
}
