package io.flowguard.core.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work, that a command can write where it was told to, so that a bad --out fails at
 * once with its name instead of after minutes of training with the name of a temporary file.
 */
final class OutputPaths {

  private OutputPaths() {}

  /**
   * A file to create or replace: not a directory, in a directory that exists and is writable or can be
   * created; {@code example} is a file name to suggest when a directory was given.
   */
  static void checkFile(Path file, String option, String example) {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(option + " " + file + " is a directory; give the path of the file to"
          + " write, e.g. " + file.resolve(example));
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      checkCreatable(parent, option + " " + file);
    }
  }

  /** A directory given by {@code option} to create or write files into. */
  static void checkDirectory(Path dir, String option) {
    checkDirectory(dir, option, "give a directory (it is created if missing)");
  }

  /** A directory to create or write files into; {@code what} names it, {@code fix} says what to do if it is a file. */
  static void checkDirectory(Path dir, String what, String fix) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(what + " " + dir + " is a file, not a directory; " + fix);
    }
    checkCreatable(dir.toAbsolutePath(), what + " " + dir);
  }

  /** {@code dir} exists as a writable directory, or its nearest existing ancestor is one (to create it in). */
  private static void checkCreatable(Path dir, String what) {
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return;
    }
    if (!Files.isDirectory(existing)) {
      throw new IllegalArgumentException(what + ": " + existing + " is a file, not a directory");
    }
    if (!Files.isWritable(existing)) {
      throw new IllegalArgumentException(what + ": cannot write in " + existing + " (permission denied); choose"
          + " another path");
    }
  }
}
