package io.flowguard.core.cli;

import io.flowguard.core.model.Calibration;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Range checks of option values, run before any work: a value out of range is a usage error that names
 * the option, the value given and the valid range (never an internal field name).
 */
final class OptionChecks {

  private OptionChecks() {}

  /** An integer option that must be at least {@code min}. */
  static void atLeast(CommandLine cli, String option, long value, long min) {
    if (value < min) {
      throw new ParameterException(cli, option + " must be at least " + min + ", got " + value);
    }
  }

  /** A finite option that must be {@code >= 0}; {@code zeroMeans} says what 0 does, or is empty. */
  static void nonNegative(CommandLine cli, String option, double value, String zeroMeans) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new ParameterException(cli, option + " must be a number >= 0" + zeroMeans + ", got " + value);
    }
  }

  /** A finite option that must be {@code > 0}. */
  static void positive(CommandLine cli, String option, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new ParameterException(cli, option + " must be a number > 0, got " + value);
    }
  }

  /** A fraction in the open interval (0, 1). */
  static void openFraction(CommandLine cli, String option, double value) {
    if (!(value > 0 && value < 1)) {
      throw new ParameterException(cli, option + " must be a fraction in (0, 1), got " + value);
    }
  }

  /** A fraction in [0, 1); {@code zeroMeans} says what 0 does, or is empty. */
  static void fractionBelowOne(CommandLine cli, String option, double value, String zeroMeans) {
    if (!(value >= 0 && value < 1)) {
      throw new ParameterException(cli, option + " must be in [0, 1)" + zeroMeans + ", got " + value);
    }
  }

  /**
   * A false-alarm rate: a probability in (0, 1) that a model's tail can resolve (at least
   * {@link Calibration#MIN_TAIL_PROBABILITY}).
   */
  static void falseAlarmRate(CommandLine cli, double rate) {
    if (!(rate > 0 && rate < 1)) {
      throw new ParameterException(cli, "--false-alarm-rate must be a probability in (0, 1), e.g. 0.001 for about"
          + " one false alarm per 1000 normal events; got " + Rates.format(rate));
    }
    if (rate < Calibration.MIN_TAIL_PROBABILITY) {
      throw new ParameterException(cli, "--false-alarm-rate " + Rates.format(rate) + " is below "
          + Rates.format(Calibration.MIN_TAIL_PROBABILITY) + ", the smallest rate a model resolves");
    }
  }
}
