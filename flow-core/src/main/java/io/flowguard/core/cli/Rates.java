package io.flowguard.core.cli;

import java.math.BigDecimal;

/** False-alarm rates as people write them: 0.001, 0.0001, 1e-6 (not 0.00100000 or 1.0E-6). */
final class Rates {

  private Rates() {}

  /** The shortest decimal that reads back as {@code rate}: plain down to 1e-4, scientific below. */
  static String format(double rate) {
    if (!Double.isFinite(rate) || rate == 0) {
      return Double.toString(rate);
    }
    BigDecimal exact = new BigDecimal(Double.toString(rate)).stripTrailingZeros();
    if (Math.abs(rate) >= 1e-4) {
      return exact.toPlainString();
    }
    String digits = exact.unscaledValue().abs().toString();
    int exponent = exact.precision() - exact.scale() - 1;
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return (exact.signum() < 0 ? "-" : "") + mantissa + "e" + exponent; // e.g. 1e-6, 2.5e-10
  }
}
