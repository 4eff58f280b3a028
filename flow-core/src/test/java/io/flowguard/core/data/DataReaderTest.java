package io.flowguard.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReaderTest {

  @TempDir
  Path dir;

  private Path write(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  @Test
  void readsCsvWithHeader() throws Exception {
    Dataset d = DataReader.read(write("a.csv", "x,y,label\n1,2,0\n3.5,-4e-1,1\n"));
    assertEquals(List.of("x", "y", "label"), d.columns());
    assertEquals(2, d.rows());
    assertArrayEquals(new double[] {1, 2, 0, 3.5, -0.4, 1}, d.values(), 0.0);
    assertArrayEquals(new double[] {0, 1}, d.column("label"), 0.0);
    assertEquals(List.of("x", "y"), d.without("label").columns());
  }

  @Test
  void readsJsonLinesInEveryShape() throws Exception {
    Dataset flat = DataReader.read(write("a.jsonl", "{\"t\": 1, \"p\": 2}\n{\"p\": 4, \"t\": 3}\n"));
    assertEquals(List.of("t", "p"), flat.columns());
    assertArrayEquals(new double[] {1, 2, 3, 4}, flat.values(), 0.0);
    Dataset nested = DataReader.read(write("b.jsonl",
        "{\"key\": \"k\", \"features\": {\"t\": 1, \"p\": 2}}\n{\"features\": {\"p\": 4, \"t\": 3}}\n"));
    assertArrayEquals(new double[] {1, 2, 3, 4}, nested.values(), 0.0);
    Dataset arrays = DataReader.read(write("c.jsonl", "{\"values\": [1, 2]}\n{\"values\": [3, 4]}\n"));
    assertEquals(List.of("x0", "x1"), arrays.columns());
  }

  @Test
  void nonNumericCsvValueNamesFileLineAndColumn() throws Exception {
    Path p = write("bad.csv", "a,b\n1,2\n3,abc\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertTrue(e.getMessage().contains("bad.csv line 3, column 2 ('b'): 'abc' is not a number"), e.getMessage());
  }

  @Test
  void nanAndInfinityAreRejected() throws Exception {
    assertTrue(assertThrows(DataFormatException.class, () -> DataReader.read(write("n.csv", "a\nNaN\n")))
        .getMessage().contains("line 2, column 1 ('a'): NaN is not finite"));
    assertTrue(assertThrows(DataFormatException.class, () -> DataReader.read(write("i.csv", "a\n1\n-Infinity\n")))
        .getMessage().contains("line 3"));
  }

  @Test
  void wrongFieldCountIsRejected() throws Exception {
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> DataReader.read(write("w.csv", "a,b\n1,2\n1,2,3\n")));
    assertTrue(e.getMessage().contains("line 3: 3 fields, the header has 2"), e.getMessage());
  }

  @Test
  void missingOrExtraJsonFieldsAreRejected() throws Exception {
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> DataReader.read(write("m.jsonl", "{\"a\": 1, \"b\": 2}\n{\"a\": 1, \"c\": 2}\n")));
    assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("missing [b]")
        && e.getMessage().contains("extra [c]"), e.getMessage());
    assertTrue(assertThrows(DataFormatException.class, () -> DataReader.read(write("j.jsonl", "{\"a\": 1}\n{oops\n")))
        .getMessage().contains("line 2: not valid JSON"));
  }

  @Test
  void emptyAndMissingFilesAreClearErrors() throws Exception {
    assertTrue(assertThrows(DataFormatException.class, () -> DataReader.read(write("e.csv", "")))
        .getMessage().contains("empty"));
    assertThrows(NoSuchFileException.class, () -> DataReader.read(dir.resolve("nope.csv")));
  }
}
