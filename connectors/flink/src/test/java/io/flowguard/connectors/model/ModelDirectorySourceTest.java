package io.flowguard.connectors.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;

/** The parts of the directory source that need no running job. */
class ModelDirectorySourceTest {

  @Test
  void splitAndStateSerializersRoundTrip() throws IOException {
    ModelDirectorySource source = ModelDirectorySource.once("/models");
    ModelFileSplit split = new ModelFileSplit("file:/models/a.fgm", 1234L, 99L);
    var splits = source.getSplitSerializer();
    assertEquals(split, splits.deserialize(splits.getVersion(), splits.serialize(split)));

    DirectoryScanState state = new DirectoryScanState(
        List.of(split.splitId(), "file:/models/b.fgm@5"),
        List.of(split, new ModelFileSplit("s3://bucket/m/c.fgm", 7L, 8L)));
    var states = source.getEnumeratorCheckpointSerializer();
    assertEquals(state, states.deserialize(states.getVersion(), states.serialize(state)));
    assertThrows(IOException.class, () -> states.deserialize(99, new byte[0]));
  }

  @Test
  void aRewrittenFileIsANewSplit() {
    assertNotEquals(new ModelFileSplit("file:/m/a.fgm", 1, 10).splitId(),
        new ModelFileSplit("file:/m/a.fgm", 2, 10).splitId());
    // A file listed half-written and completed within one tick of a coarse modification-time clock.
    assertNotEquals(new ModelFileSplit("file:/m/a.fgm", 1, 4096).splitId(),
        new ModelFileSplit("file:/m/a.fgm", 1, 10_000).splitId());
  }

  @Test
  void modesAndNames() {
    assertEquals(Boundedness.BOUNDED, ModelDirectorySource.once("/m").getBoundedness());
    assertEquals(Boundedness.CONTINUOUS_UNBOUNDED,
        ModelDirectorySource.monitoring("/m", Duration.ofSeconds(10)).getBoundedness());
    assertThrows(IllegalArgumentException.class,
        () -> ModelDirectorySource.monitoring("/m", Duration.ZERO));
    assertEquals("pump", ModelDirectorySource.modelName(new Path("s3://bucket/models/pump.fgm")));
    assertEquals("a.b", ModelDirectorySource.modelName(new Path("file:/m/a.b.fgm")));
  }
}
