package io.flowguard.sql;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the model that a {@code 'path'} option names, through Flink's {@link FileSystem}: a model file
 * itself, or the newest valid model in a directory (highest version, then latest modification time),
 * optionally of one model name. Used at planning time and by the refresh while a query runs.
 */
final class ModelLocator {

  private static final Logger LOG = LoggerFactory.getLogger(ModelLocator.class);
  static final String EXTENSION = ".fgm";

  /** A model read from storage, with its exact bytes (they travel with the query). */
  record Located(FlowModel model, byte[] bytes, String source, long modificationTime) {}

  private ModelLocator() {}

  /**
   * @param modelName the required model name, if any
   * @throws IOException with a message that says what was looked at and what was wrong
   */
  static Located locate(String path, Optional<String> modelName) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem();
    FileStatus status;
    try {
      status = fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException("no model file or directory at '" + path + "'");
    }
    if (!status.isDir()) {
      Located file = read(fs, status);
      if (modelName.isPresent() && !modelName.get().equals(file.model().name())) {
        throw new IOException("the model file '" + path + "' holds model '" + file.model().name()
            + "', not the 'model-name' '" + modelName.get() + "'");
      }
      return file;
    }
    FileStatus[] listing = fs.listStatus(p);
    if (listing == null) {
      throw new FileNotFoundException("model directory '" + path + "' cannot be listed");
    }
    Located best = null;
    TreeSet<String> names = new TreeSet<>();
    List<String> skipped = new ArrayList<>();
    for (FileStatus s : listing) {
      String name = s.getPath().getName();
      if (s.isDir() || !name.endsWith(EXTENSION) || name.startsWith(".") || name.startsWith("_")) {
        continue;
      }
      Located candidate;
      try {
        candidate = read(fs, s);
      } catch (IOException e) {
        // One corrupt or half-written file must not hide the valid ones beside it.
        skipped.add(name + ": " + e.getMessage());
        LOG.warn("Skipping model file {}: {}", s.getPath(), e.getMessage());
        continue;
      }
      names.add(candidate.model().name());
      if (modelName.isPresent() && !modelName.get().equals(candidate.model().name())) {
        continue;
      }
      if (best == null || newer(candidate, best)) {
        best = candidate;
      }
    }
    if (modelName.isEmpty() && names.size() > 1) {
      throw new IOException("the model directory '" + path + "' holds models named " + names
          + "; choose one with 'model-name'");
    }
    if (best == null) {
      throw new FileNotFoundException("the model directory '" + path + "' holds no valid "
          + modelName.map(n -> "'" + n + "' ").orElse("") + "model (*" + EXTENSION + ")"
          + (names.isEmpty() ? "" : "; models found: " + names)
          + (skipped.isEmpty() ? "" : "; unreadable: " + skipped));
    }
    return best;
  }

  private static boolean newer(Located a, Located b) {
    if (a.model().version() != b.model().version()) {
      return a.model().version() > b.model().version();
    }
    return a.modificationTime() > b.modificationTime();
  }

  private static Located read(FileSystem fs, FileStatus status) throws IOException {
    if (status.getLen() > ModelFormat.MAX_FILE_BYTES) {
      throw new IOException("the file is " + status.getLen() + " bytes, more than a model file may be");
    }
    byte[] bytes;
    try (InputStream in = fs.open(status.getPath())) {
      bytes = in.readAllBytes();
    }
    String source = status.getPath().toUri().toString();
    try {
      return new Located(ModelFormat.read(bytes), bytes, source, status.getModificationTime());
    } catch (IOException e) {
      throw new IOException("'" + source + "' is not a valid Flowguard model: " + e.getMessage(), e);
    }
  }
}
