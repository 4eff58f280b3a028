package io.flowguard.core.cli;

import io.flowguard.core.train.TrainingListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress for a terminal: a bar redrawn in place when stderr is a console, one line per
 * report otherwise (CI logs, files). Shows step, epoch, train and validation NLL, and the ETA.
 */
final class ProgressBar implements TrainingListener {

  private static final int WIDTH = 28;

  private final PrintWriter out;
  private final boolean interactive;
  private final long start = System.nanoTime();
  private boolean drewBar;

  ProgressBar(PrintWriter out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  @Override
  public void onProgress(int step, int totalSteps, double epoch, double trainNll, double validationNll,
                         int skippedSteps) {
    double frac = (double) step / totalSteps;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double eta = frac > 0 ? elapsed * (1 - frac) / frac : Double.NaN;
    StringBuilder line = new StringBuilder();
    if (interactive) {
      int filled = (int) Math.round(frac * WIDTH);
      line.append('\r').append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
    }
    line.append(String.format(Locale.ROOT, "step %d/%d  epoch %.1f  train NLL %.4f", step, totalSteps, epoch,
        trainNll));
    if (!Double.isNaN(validationNll)) {
      line.append(String.format(Locale.ROOT, "  val NLL %.4f", validationNll));
    }
    if (skippedSteps > 0) {
      line.append("  skipped ").append(skippedSteps);
    }
    line.append(String.format(Locale.ROOT, "  ETA %.0fs ", eta));
    if (interactive) {
      out.print(line);
      drewBar = true;
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends the in-place line so later output starts on a fresh line. */
  void close() {
    if (drewBar) {
      out.println();
      out.flush();
    }
  }
}
