package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestorableCheckpointTest {

  private static void checkpoint(Path dir, String job, int id, long writtenAt, boolean complete)
      throws Exception {
    Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + id));
    if (complete) {
      Path metadata = Files.writeString(chk.resolve(RestorableCheckpoint.METADATA), "m");
      Files.setLastModifiedTime(metadata, FileTime.fromMillis(writtenAt));
    }
  }

  private static Optional<RestorableCheckpoint.Found> newest(Path dir) throws Exception {
    return RestorableCheckpoint.newest(new org.apache.flink.core.fs.Path(dir.toUri()));
  }

  /**
   * Across job directories (every restored run writes under a new job id), the completed
   * checkpoint written last wins; a chk-N without _metadata (in progress when the JVM died) and a
   * job directory without checkpoints (a run killed during recovery) are passed over.
   */
  @Test
  void theNewestCompletedCheckpointOfAnyJobDirectoryIsFound(@TempDir Path dir) throws Exception {
    checkpoint(dir, "aaaa", 12, 1_000, true);
    checkpoint(dir, "bbbb", 14, 3_000, true);
    checkpoint(dir, "bbbb", 15, 0, false);
    Files.createDirectories(dir.resolve("cccc").resolve("shared"));
    Files.createDirectories(dir.resolve("cccc").resolve("taskowned"));
    checkpoint(dir, "dddd", 13, 2_000, true);
    RestorableCheckpoint.Found found = newest(dir).orElseThrow();
    assertEquals(14, found.id());
    assertEquals("bbbb", found.path().getParent().getName());
    assertEquals("chk-14", found.path().getName());
  }

  @Test
  void oneJobsDirectoryWorksToo(@TempDir Path dir) throws Exception {
    checkpoint(dir, "aaaa", 3, 1_000, true);
    checkpoint(dir, "aaaa", 4, 2_000, true);
    assertEquals(4, newest(dir.resolve("aaaa")).orElseThrow().id());
  }

  @Test
  void aDirectoryWithoutCompletedCheckpointsHasNone(@TempDir Path dir) throws Exception {
    checkpoint(dir, "aaaa", 1, 0, false);
    assertTrue(newest(dir).isEmpty());
    assertTrue(newest(dir.resolve("missing")).isEmpty());
  }
}
