package io.flowguard.connectors.model;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A directory of model files as a Flink source (FLIP-27): every {@code *.fgm} file directly in the
 * directory becomes one {@link ModelRecord} (name = file name without {@code .fgm}, offset -1,
 * timestamp = modification time). The directory is read through Flink's {@link FileSystem}, so local
 * paths and {@code file://} work out of the box and {@code s3://}, {@code hdfs://} and the like work
 * with the matching Flink filesystem plugin.
 *
 * <p>Two modes: {@link #once} lists the directory once and ends (bounded); {@link #monitoring}
 * re-lists it at an interval and emits new files and rewritten ones (a new modification time), and
 * never ends. Deleted files emit nothing; withdraw models through the model topic.
 *
 * <p>Write model files atomically (write {@code name.fgm.tmp} or a hidden {@code .name.fgm}, then
 * rename): a file listed while half written is emitted as is. Names starting with '.' or '_' are
 * skipped for that reason. A half-written file fails the model's checksum downstream and its completed
 * version (a newer modification time) is emitted later, but renaming avoids the noise. Files above
 * the size limit are skipped with a warning rather than read into memory.
 *
 * <p>Subdirectories are not searched. Readers request one file at a time, so with parallelism above
 * one the files spread over the readers.
 */
public final class ModelDirectorySource
    implements Source<ModelRecord, ModelFileSplit, DirectoryScanState>,
        ResultTypeQueryable<ModelRecord> {

  private static final long serialVersionUID = 1L;

  /** The extension of model files. */
  public static final String EXTENSION = ".fgm";

  private final String directory;
  private final long rescanMillis;
  private final long maxFileBytes;

  private ModelDirectorySource(String directory, long rescanMillis, long maxFileBytes) {
    this.directory = Objects.requireNonNull(directory, "directory");
    this.rescanMillis = rescanMillis;
    if (maxFileBytes < 1) {
      throw new IllegalArgumentException("maxFileBytes must be positive");
    }
    this.maxFileBytes = maxFileBytes;
  }

  /** Lists the directory (a path or URI) once and ends. */
  public static ModelDirectorySource once(String directory) {
    return new ModelDirectorySource(directory, -1, ModelRecord.MAX_MODEL_BYTES);
  }

  /** Lists the directory now and then every {@code interval}; never ends. */
  public static ModelDirectorySource monitoring(String directory, Duration interval) {
    if (interval.toMillis() < 1) {
      throw new IllegalArgumentException("the rescan interval must be at least 1 ms");
    }
    return new ModelDirectorySource(directory, interval.toMillis(), ModelRecord.MAX_MODEL_BYTES);
  }

  /** The same source with another per-file size limit (default {@link ModelRecord#MAX_MODEL_BYTES}). */
  public ModelDirectorySource withMaxFileBytes(long maxFileBytes) {
    return new ModelDirectorySource(directory, rescanMillis, maxFileBytes);
  }

  public String directory() {
    return directory;
  }

  @Override
  public Boundedness getBoundedness() {
    return rescanMillis < 0 ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
  }

  @Override
  public SplitEnumerator<ModelFileSplit, DirectoryScanState> createEnumerator(
      SplitEnumeratorContext<ModelFileSplit> context) {
    return new DirectoryEnumerator(context, new Path(directory), rescanMillis, List.of(), List.of());
  }

  @Override
  public SplitEnumerator<ModelFileSplit, DirectoryScanState> restoreEnumerator(
      SplitEnumeratorContext<ModelFileSplit> context, DirectoryScanState state) {
    return new DirectoryEnumerator(
        context, new Path(directory), rescanMillis, state.seen(), state.pending());
  }

  @Override
  public SourceReader<ModelRecord, ModelFileSplit> createReader(SourceReaderContext context) {
    return new ModelFileReader(context, maxFileBytes);
  }

  @Override
  public SimpleVersionedSerializer<ModelFileSplit> getSplitSerializer() {
    return new SplitSerializer();
  }

  @Override
  public SimpleVersionedSerializer<DirectoryScanState> getEnumeratorCheckpointSerializer() {
    return new StateSerializer();
  }

  @Override
  public TypeInformation<ModelRecord> getProducedType() {
    return TypeInformation.of(ModelRecord.class);
  }

  /** The model name of a file: its name without the extension. */
  static String modelName(Path file) {
    String name = file.getName();
    return name.endsWith(EXTENSION) ? name.substring(0, name.length() - EXTENSION.length()) : name;
  }

  /** Lists the model files of a directory, sorted by path. Runs off the coordinator thread. */
  static List<ModelFileSplit> list(Path dir) throws IOException {
    FileSystem fs = dir.getFileSystem();
    FileStatus[] statuses = fs.listStatus(dir);
    if (statuses == null) {
      // Some FileSystem implementations return null instead of throwing for a missing directory.
      throw new FileNotFoundException("model directory " + dir + " does not exist");
    }
    List<ModelFileSplit> files = new ArrayList<>();
    for (FileStatus s : statuses) {
      String name = s.getPath().getName();
      if (!s.isDir()
          && name.endsWith(EXTENSION)
          && name.length() > EXTENSION.length()
          && !name.startsWith(".")
          && !name.startsWith("_")) {
        files.add(new ModelFileSplit(
            s.getPath().toUri().toString(), s.getModificationTime(), s.getLen()));
      }
    }
    files.sort(Comparator.comparing(ModelFileSplit::path));
    return files;
  }

  static final class SplitSerializer implements SimpleVersionedSerializer<ModelFileSplit> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(ModelFileSplit split) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        write(out, split);
      }
      return bytes.toByteArray();
    }

    @Override
    public ModelFileSplit deserialize(int version, byte[] serialized) throws IOException {
      checkVersion(version);
      try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(serialized))) {
        return read(in);
      }
    }

    static void write(DataOutputStream out, ModelFileSplit split) throws IOException {
      out.writeUTF(split.path());
      out.writeLong(split.modificationTime());
      out.writeLong(split.length());
    }

    static ModelFileSplit read(DataInputStream in) throws IOException {
      return new ModelFileSplit(in.readUTF(), in.readLong(), in.readLong());
    }
  }

  static final class StateSerializer implements SimpleVersionedSerializer<DirectoryScanState> {
    @Override
    public int getVersion() {
      return 1;
    }

    @Override
    public byte[] serialize(DirectoryScanState state) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeInt(state.seen().size());
        for (String id : state.seen()) {
          out.writeUTF(id);
        }
        out.writeInt(state.pending().size());
        for (ModelFileSplit split : state.pending()) {
          SplitSerializer.write(out, split);
        }
      }
      return bytes.toByteArray();
    }

    @Override
    public DirectoryScanState deserialize(int version, byte[] serialized) throws IOException {
      checkVersion(version);
      try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(serialized))) {
        String[] seen = new String[in.readInt()];
        for (int i = 0; i < seen.length; i++) {
          seen[i] = in.readUTF();
        }
        ModelFileSplit[] pending = new ModelFileSplit[in.readInt()];
        for (int i = 0; i < pending.length; i++) {
          pending[i] = SplitSerializer.read(in);
        }
        return new DirectoryScanState(Arrays.asList(seen), Arrays.asList(pending));
      }
    }
  }

  private static void checkVersion(int version) throws IOException {
    if (version != 1) {
      throw new IOException("unknown serializer version " + version);
    }
  }
}
