package io.flowguard.core.data;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file written whole or not at all (a model file, a scored output): the content goes to a temporary file
 * beside the target, which {@link #commit()} forces to disk and moves over the target; a close without a
 * commit (an error on the way) deletes it and leaves the target as it was. So a reader (or a crash) never
 * sees a half-written file, and a command that fails half way through its input leaves no partial output
 * and never damages an earlier one. The file gets the permissions of any new file in that directory (the
 * process's umask), as if written by {@link Files#write}.
 *
 * <pre>{@code
 * try (ReplacingFile file = ReplacingFile.create(out)) {
 *   file.writer().write(...);
 *   file.commit();
 * }
 * }</pre>
 */
public final class ReplacingFile implements AutoCloseable {

  private final Path target;
  private final Path tmp;
  private final FileChannel channel;
  private final Writer writer;
  private boolean closed;

  private ReplacingFile(Path target, Path tmp, FileChannel channel) {
    this.target = target;
    this.tmp = tmp;
    this.channel = channel;
    // As Files.newBufferedWriter: an encoder that reports unencodable text rather than replacing it.
    this.writer = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel),
        StandardCharsets.UTF_8.newEncoder()));
  }

  /** A temporary file beside {@code file} (its directory created if missing), to become {@code file}. */
  public static ReplacingFile create(Path file) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    for (int attempt = 0; ; attempt++) {
      // Not Files.createTempFile: it creates the file owner-only (0600), and the move would keep that.
      Path candidate = dir.resolve("." + target.getFileName() + "."
          + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
      try {
        return new ReplacingFile(target, candidate,
            FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e;
        }
      }
    }
  }

  /** Where text goes until {@link #commit()}; buffered. Use it or {@link #write(byte[])}, not both. */
  public Writer writer() {
    return writer;
  }

  /** Writes bytes to the temporary file (unbuffered: one call for a whole encoded file). */
  public void write(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /**
   * Forces the text to disk and moves it over the target. Where the file system cannot move atomically,
   * the move falls back to a plain replace.
   */
  public void commit() throws IOException {
    writer.flush();
    channel.force(true);
    closed = true;
    writer.close();
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Without a {@link #commit()}: discards the text, leaving the target as it was. */
  @Override
  public void close() throws IOException {
    try {
      if (!closed) {
        closed = true;
        channel.close();
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
