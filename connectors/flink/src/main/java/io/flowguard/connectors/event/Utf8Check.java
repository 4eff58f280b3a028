package io.flowguard.connectors.event;

import java.util.Optional;

/**
 * Whether record bytes are UTF-8 (RFC 3629), the only encoding events may use: JSON exchanged between
 * systems must be UTF-8 (RFC 8259, section 8.1), and a decoder that guessed other encodings would
 * accept some records of a producer and reject others. A record in UTF-16 or UTF-32 is recognised
 * (by its byte-order mark or, as RFC 4627 did, by zero bytes among its first four) so that the dead
 * letter can name the encoding.
 */
final class Utf8Check {

  private Utf8Check() {}

  /** What is wrong with the bytes as UTF-8; empty when they are valid UTF-8. */
  static Optional<String> problem(byte[] b) {
    Optional<String> other = otherEncoding(b);
    if (other.isPresent()) {
      return Optional.of("the record is " + other.get() + "; events must be UTF-8 (RFC 8259)");
    }
    int i = 0;
    int n = b.length;
    while (i < n) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int len;
      int lo = 0x80;
      int hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) {
          lo = 0xA0; // no overlong forms
        } else if (c == 0xED) {
          hi = 0x9F; // no surrogates
        }
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) {
          lo = 0x90;
        } else if (c == 0xF4) {
          hi = 0x8F; // nothing above U+10FFFF
        }
      } else {
        return Optional.of(invalid(c, i));
      }
      if (i + len > n) {
        return Optional.of("invalid UTF-8: a sequence is cut off at the end (byte " + i + ")");
      }
      int c1 = b[i + 1] & 0xFF;
      if (c1 < lo || c1 > hi) {
        return Optional.of(invalid(c1, i + 1));
      }
      for (int k = 2; k < len; k++) {
        int ck = b[i + k] & 0xFF;
        if (ck < 0x80 || ck > 0xBF) {
          return Optional.of(invalid(ck, i + k));
        }
      }
      i += len;
    }
    return Optional.empty();
  }

  private static String invalid(int c, int at) {
    return String.format("invalid UTF-8: byte 0x%02X at offset %d (events must be UTF-8, RFC 8259)",
        c, at);
  }

  private static Optional<String> otherEncoding(byte[] b) {
    if (b.length >= 4 && b[0] == 0 && b[1] == 0 && (b[2] & 0xFF) == 0xFE && (b[3] & 0xFF) == 0xFF) {
      return Optional.of("UTF-32BE (byte-order mark)");
    }
    if (b.length >= 4 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE && b[2] == 0 && b[3] == 0) {
      return Optional.of("UTF-32LE (byte-order mark)");
    }
    if (b.length >= 2 && (b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF) {
      return Optional.of("UTF-16BE (byte-order mark)");
    }
    if (b.length >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE) {
      return Optional.of("UTF-16LE (byte-order mark)");
    }
    if (b.length >= 4) {
      boolean z0 = b[0] == 0;
      boolean z1 = b[1] == 0;
      boolean z2 = b[2] == 0;
      boolean z3 = b[3] == 0;
      if (z0 && z1 && z2 && !z3) {
        return Optional.of("UTF-32BE");
      }
      if (!z0 && z1 && z2 && z3) {
        return Optional.of("UTF-32LE");
      }
      if (z0 && !z1 && z2 && !z3) {
        return Optional.of("UTF-16BE");
      }
      if (!z0 && z1 && !z2 && z3) {
        return Optional.of("UTF-16LE");
      }
    }
    return Optional.empty();
  }
}
