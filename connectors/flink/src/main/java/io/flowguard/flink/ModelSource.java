package io.flowguard.flink;

import io.flowguard.connectors.model.ModelDirectorySource;
import io.flowguard.connectors.model.ModelRecord;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Where the scoring operator's models come from. Every model record is broadcast to every scoring
 * instance; a higher version of a model replaces the running one without a restart (hot swap), and
 * events whose model has not arrived yet wait for it.
 *
 * <ul>
 *   <li>{@link #file}: one model file, read when the job is built (fixed model; publish a new job
 *       version, or use a directory, to change it);
 *   <li>{@link #directory}: every {@code *.fgm} file of a directory on Flink's FileSystem (local,
 *       {@code s3://}, {@code hdfs://}), re-read every {@code rescan} so that a newer file is picked up;
 *   <li>{@link #of}: any Flink source of {@link ModelRecord}s, e.g. the Kafka model topic
 *       ({@code io.flowguard.connectors.model.ModelTopicSource} in flowguard-kafka).
 * </ul>
 */
@FunctionalInterface
public interface ModelSource extends Serializable {

  /** Adds the source to the job, with this uid, at parallelism 1 (one reader keeps one order). */
  DataStream<ModelRecord> create(StreamExecutionEnvironment env, String uid);

  /** One model file (a path or URI), read now; its model name is the name stored in the file. */
  static ModelSource file(String path) {
    Objects.requireNonNull(path, "path");
    ModelRecord record = readModelFile(path);
    return (env, uid) -> env.fromData(TypeInformation.of(ModelRecord.class), record)
        .name(uid).uid(uid).setParallelism(1);
  }

  /**
   * The model files of a directory; with a positive {@code rescan} the directory is listed again at
   * that interval (newer files replace older versions), with {@link Duration#ZERO} once.
   */
  static ModelSource directory(String directory, Duration rescan) {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(rescan, "rescan");
    return of(rescan.isZero() ? ModelDirectorySource.once(directory)
        : ModelDirectorySource.monitoring(directory, rescan));
  }

  /** Any source of model records (bounded or not). */
  static ModelSource of(Source<ModelRecord, ?, ?> source) {
    Objects.requireNonNull(source, "source");
    return (env, uid) -> env.fromSource(source, WatermarkStrategy.noWatermarks(), uid)
        .uid(uid).setParallelism(1);
  }

  /**
   * Reads and validates a model file through Flink's FileSystem, so that a missing or corrupt file
   * fails the job's construction, with the path and the reason, instead of every event later.
   */
  static ModelRecord readModelFile(String path) {
    byte[] bytes;
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem().open(p)) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      byte[] chunk = new byte[1 << 16];
      int n;
      while ((n = in.read(chunk)) > 0) {
        buffer.write(chunk, 0, n);
        if (buffer.size() > ModelRecord.MAX_MODEL_BYTES) {
          throw new IllegalArgumentException("model file " + path + " is larger than "
              + ModelRecord.MAX_MODEL_BYTES + " bytes");
        }
      }
      bytes = buffer.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model file " + path + ": " + e.getMessage(), e);
    }
    FlowModel model;
    try {
      model = ModelFormat.read(bytes);
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("model file " + path + " is not a usable model: "
          + e.getMessage(), e);
    }
    long modified;
    try {
      FileSystem fs = p.getFileSystem();
      modified = fs.getFileStatus(p).getModificationTime();
    } catch (IOException e) {
      modified = 0L;
    }
    return new ModelRecord(model.name(), bytes, -1, modified);
  }
}
