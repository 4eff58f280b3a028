package io.flowguard.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flowguard.core.nn.Linalg;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The job's classpath (what flowguard-job.jar shades, plus test-scoped Flink) holds nothing that unpacks
 * native libraries: no ND4J, no JavaCPP. So a fresh TaskManager scores, and retrains, without writing
 * to ~/.javacpp; the job tests on the MiniCluster (scoring, hot swap, retraining) all run this way.
 */
class NoNativeCodeTest {

  @Test
  void neitherNd4jNorJavaCppIsOnTheJobsClasspath() {
    for (String name : List.of("org.nd4j.linalg.factory.Nd4j", "org.bytedeco.javacpp.Loader",
        "io.flowguard.nd4j.Nd4jMatrixBackend")) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name);
    }
  }

  @Test
  void retrainingProductsRunOnThePureJavaBackend() {
    assertEquals("java", Linalg.backend().name());
  }
}
