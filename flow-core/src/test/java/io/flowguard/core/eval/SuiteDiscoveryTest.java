package io.flowguard.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link Suite#discover} classifies and names the files of a folder. */
class SuiteDiscoveryTest {

  @TempDir
  Path root;

  private void write(String rel, String text) throws Exception {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  @Test
  void classifiesByHeaderAndNamesByPath() throws Exception {
    // Written in an order unlike the sorted one: discovery must not depend on listing order.
    write("zeta/zeta.csv", "x0,x1,label\n1,2,0\n");
    write("nab/cat/series.csv", "timestamp,value,label\n2020-01-01 00:00:00,1,0\n");
    write("alpha.csv", "a,label\n1,0\n");
    write("skab/valve1/0.csv", "datetime,s1,s2,label\n2020-03-09 10:14:33,0.1,0.2,0\n");
    write("nolabel.csv", "a,b\n1,2\n");
    write("mixed.csv", "id,s1,label\nx17,0.1,0\n");
    write("labels.json", "{}");
    write(".hidden/x.csv", "a,label\n1,0\n");
    Suite.Discovery d = Suite.discover(root, "label");
    assertEquals(List.of("alpha", "nab/cat/series", "skab/valve1/0", "zeta"),
        d.datasets().stream().map(Suite.Entry::name).toList());
    assertEquals(List.of(Suite.Kind.TABULAR, Suite.Kind.SERIES, Suite.Kind.MULTIVARIATE, Suite.Kind.TABULAR),
        d.datasets().stream().map(Suite.Entry::kind).toList(), "a time column first makes a multivariate series");
    assertEquals(List.of("labels.json", "mixed.csv", "nolabel.csv"),
        d.skipped().stream().map(Suite.Skipped::relativePath).toList(), "hidden folders are ignored");
    assertTrue(d.skipped().get(1).reason().contains("'id' is not numeric"), d.skipped().get(1).reason());
    assertTrue(d.skipped().get(2).reason().contains("not the label column 'label'"), d.skipped().get(2).reason());
  }

  @Test
  void namesThatWouldCollideKeepTheirFullPath() throws Exception {
    write("a.csv", "x,label\n1,0\n");
    write("a/a.csv", "x,label\n1,0\n");
    write("b/b.csv", "x,label\n1,0\n");
    assertEquals(List.of("a", "a/a", "b"),
        Suite.discover(root, "label").datasets().stream().map(Suite.Entry::name).toList());
  }

  @Test
  void onlyMatchesWholeNamesOrTheirLastSegment() throws Exception {
    write("nab/cat/taxi.csv", "timestamp,value,label\nt,1,0\n");
    write("glass/glass.csv", "x,label\n1,0\n");
    Suite.Discovery d = Suite.discover(root, "label");
    assertEquals(List.of("glass", "nab/cat/taxi"),
        d.only(List.of("taxi", "glass")).datasets().stream().map(Suite.Entry::name).toList(), "sorted, not as asked");
    assertEquals(1, d.only(List.of("nab/cat/taxi")).datasets().size());
    assertThrows(IllegalArgumentException.class, () -> d.only(List.of("cat")));
  }
}
