package io.flowguard.connectors.model;

import java.util.Objects;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One version of one model file, the unit of work of {@link ModelDirectorySource}. The split id
 * includes the modification time and the length, so a rewritten file is a new split and is emitted
 * again, even where the file system's clock is coarse enough that a file read half-written and then
 * completed keeps its modification time (a directory scan state from before the length was part of the
 * id emits every file once more after a restore, which the highest-version rule makes harmless).
 *
 * @param path the file's URI
 * @param modificationTime the file's modification time, epoch ms
 * @param length the file's length when listed, bytes
 */
public record ModelFileSplit(String path, long modificationTime, long length)
    implements SourceSplit {

  public ModelFileSplit {
    Objects.requireNonNull(path, "path");
  }

  @Override
  public String splitId() {
    return path + "@" + modificationTime + ":" + length;
  }
}
