package io.flowguard.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.Lineage;
import io.flowguard.core.model.ModelFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inspect} shows a model's lineage when its provenance records one, and nothing when not. */
class InspectLineageTest {

  @TempDir
  Path dir;

  private static FlowModel model() {
    return CliRun.model("pump", 5, 3);
  }

  private static String inspect(Path file) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = FlowguardCli.run(new String[] {"inspect", file.toString()}, new PrintWriter(out, true),
        new PrintWriter(err, true));
    assertEquals(0, code, err.toString());
    return out.toString();
  }

  @Test
  void inspectShowsTheLineageOfARetrainedModel() throws Exception {
    FlowModel m = model();
    Lineage l = new Lineage(OptionalInt.of(4), Lineage.Trigger.DRIFT, "reservoir of 400 normal events", 400,
        OptionalInt.empty(), 2.875, 3.5);
    FlowModel withLineage = new FlowModel(m.name(), m.version(), m.preprocessor(), m.flow(), m.calibration(),
        m.provenance().withLineage(l));
    Path file = dir.resolve("m.fgm");
    ModelFormat.write(withLineage, file);
    String out = inspect(file);
    assertTrue(out.contains("lineage    drift from v4"), out);
    assertTrue(out.contains("trained on reservoir of 400 normal events (400 rows)"), out);
    assertTrue(out.contains("mean held-out NLL 2.8750 (parent 3.5000 on the same rows)"), out);
  }

  @Test
  void inspectOfAModelWithoutLineageShowsNoLineage() throws Exception {
    Path file = dir.resolve("plain.fgm");
    ModelFormat.write(model(), file);
    assertFalse(inspect(file).contains("lineage"));
  }
}
