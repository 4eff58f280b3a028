package io.flowguard.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.plugin.PluginUtils;

/**
 * Finds the checkpoint to resume a crashed job from: the newest {@code chk-<n>} directory that holds
 * a {@code _metadata} file (a completed checkpoint), across every job-id directory under a checkpoint
 * directory. Every run, restored ones included, writes under a new job id, and a run killed while
 * it recovered leaves a job directory without any completed checkpoint, so the newest one can be in
 * any of them.
 *
 * <pre>
 * java -cp flowguard-job.jar:$FLINK_HOME/lib/'*' io.flowguard.job.RestorableCheckpoint file:///ckpt
 * file:/ckpt/5f0c.../chk-42
 * </pre>
 *
 * Prints the path and exits 0; exits 1 when there is none, 2 for a usage error. Any Flink file
 * system works (s3://, hdfs://, with its plugin under {@code FLINK_PLUGINS_DIR} and its settings in
 * {@code FLINK_CONF_DIR}).
 */
public final class RestorableCheckpoint {

  private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");

  /** Flink's name of a completed checkpoint's metadata file. */
  public static final String METADATA = "_metadata";

  /**
   * A completed checkpoint.
   *
   * @param path its {@code chk-<n>} directory: the value of {@code execution.state-recovery.path}
   * @param id its checkpoint id n
   * @param completedAt when its metadata was written (epoch ms)
   */
  public record Found(Path path, long id, long completedAt) {}

  private RestorableCheckpoint() {}

  /**
   * The newest completed checkpoint under a checkpoint directory (or under one job's directory):
   * the one whose {@code _metadata} was written last, the higher id on a tie.
   */
  public static Optional<Found> newest(Path checkpointDir) throws IOException {
    FileSystem fs = checkpointDir.getFileSystem();
    List<Found> found = new ArrayList<>();
    collect(fs, checkpointDir, found);
    for (FileStatus child : list(fs, checkpointDir)) {
      if (child.isDir() && !CHECKPOINT.matcher(child.getPath().getName()).matches()) {
        collect(fs, child.getPath(), found);
      }
    }
    return found.stream().max(Comparator.comparingLong(Found::completedAt)
        .thenComparingLong(Found::id));
  }

  /** The completed checkpoints directly under one job directory. */
  private static void collect(FileSystem fs, Path jobDir, List<Found> out) throws IOException {
    for (FileStatus child : list(fs, jobDir)) {
      Matcher m = CHECKPOINT.matcher(child.getPath().getName());
      if (child.isDir() && m.matches()) {
        Path metadata = new Path(child.getPath(), METADATA);
        if (fs.exists(metadata)) {
          out.add(new Found(child.getPath(), Long.parseLong(m.group(1)),
              fs.getFileStatus(metadata).getModificationTime()));
        }
      }
    }
  }

  private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
    FileStatus[] children = fs.exists(dir) ? fs.listStatus(dir) : null;
    return children == null ? new FileStatus[0] : children;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1 || args[0].startsWith("-")) {
      System.err.println("usage: RestorableCheckpoint CHECKPOINT_DIR   (the job's"
          + " execution.checkpointing.dir, e.g. file:///flink-data/checkpoints)");
      System.err.println("Prints the newest chk-<n> holding a _metadata file under any job"
          + " directory; resume with --execution.state-recovery.path <it>.");
      System.exit(2);
      return;
    }
    String confDir = System.getenv("FLINK_CONF_DIR");
    Configuration conf = confDir == null ? new Configuration()
        : GlobalConfiguration.loadConfiguration(confDir);
    FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
    Path dir = new Path(args[0]);
    Optional<Found> newest = newest(dir);
    if (newest.isEmpty()) {
      System.err.println("no completed checkpoint (chk-<n>/" + METADATA + ") under " + dir
          + ": start the job without a recovery path");
      System.exit(1);
      return;
    }
    System.out.println(newest.get().path());
  }
}
