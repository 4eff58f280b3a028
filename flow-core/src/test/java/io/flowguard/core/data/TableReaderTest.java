package io.flowguard.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The chunked reader is the whole-file reader a chunk at a time: it reads no further than the chunk asked
 * for (so memory is the chunk's, not the file's), and its chunks, columns and errors are those of
 * {@link DataReader#read}.
 */
class TableReaderTest {

  @TempDir
  Path dir;

  private Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }

  /** Good rows, then a thousand lines that cannot be parsed at all. */
  private Path goodThenGarbage(String name, String header, String good, String garbage, int goodRows) throws Exception {
    StringBuilder b = new StringBuilder(header);
    for (int i = 0; i < goodRows; i++) {
      b.append(good).append('\n');
    }
    for (int i = 0; i < 1000; i++) {
      b.append(garbage).append('\n');
    }
    return write(name, b.toString());
  }

  @Test
  void aCsvChunkIsReadWithoutReachingTheMalformedLinesAfterIt() throws Exception {
    Path p = goodThenGarbage("lazy.csv", "a,b\n", "1,2", "x,oops", 3);
    try (TableReader reader = DataReader.open(p, c -> true)) {
      Table chunk = reader.next(3).orElseThrow();
      assertEquals(3, chunk.rows());
      assertArrayEquals(new double[] {1, 2, 1, 2, 1, 2}, chunk.features().values(), 0.0);
      DataFormatException e = assertThrows(DataFormatException.class, () -> reader.next(3));
      assertTrue(e.getMessage().contains("lazy.csv line 5, column 1 ('a'): 'x' is not a number"),
          e.getMessage());
    }
  }

  @Test
  void aJsonLinesChunkIsReadWithoutReachingTheMalformedLinesAfterIt() throws Exception {
    Path p = goodThenGarbage("lazy.jsonl", "", "{\"a\": 1, \"b\": 2}", "{oops", 3);
    try (TableReader reader = DataReader.open(p, c -> true)) {
      assertEquals(3, reader.next(3).orElseThrow().rows());
      DataFormatException e = assertThrows(DataFormatException.class, () -> reader.next(3));
      assertTrue(e.getMessage().contains("lazy.jsonl line 4: not valid JSON"), e.getMessage());
    }
  }

  @Test
  void csvChunksTogetherAreTheWholeFileTable() throws Exception {
    Path p = write("q.csv", "\"name, full\",x,id\n\"Smith, J.\",1,007\n \"say \"\"hi\"\"\" ,2,8\n\"two\nlines\",3,\n"
        + "\"4\",\"5\",9\nplain,6,10\n");
    Predicate<String> isFeature = c -> c.equals("x");
    assertSameRows(DataReader.read(p, isFeature), chunks(p, isFeature, 2));
  }

  @Test
  void aJsonLinesCarriedColumnFirstSeenInALaterChunkKeepsItsIndexAndIsMissingBefore() throws Exception {
    Path p = write("late.jsonl", "{\"key\": \"k1\", \"features\": {\"a\": 1}}\n"
        + "{\"features\": {\"a\": 2}}\n"
        + "{\"key\": \"k3\", \"features\": {\"a\": 3}, \"site\": \"hall B\"}\n"
        + "{\"a\": 4, \"note\": [1, 2]}\n");
    Predicate<String> isFeature = c -> c.equals("a");
    List<Table> chunks = chunks(p, isFeature, 2);
    assertEquals(List.of("key", "a"), chunks.get(0).columns(), "a chunk has the columns seen up to its end");
    assertEquals(List.of("key", "a", "site", "note"), chunks.get(1).columns());
    assertEquals(Table.Cell.MISSING, chunks.get(0).carried(1, 1), "index 1 is 'site' in the file; row 2 lacks it");
    assertEquals(Table.Cell.text("hall B"), chunks.get(1).carried(0, 1));
    assertSameRows(DataReader.read(p, isFeature), chunks);
  }

  @Test
  void skipRemainingValidatesEveryRowAndThenListsEveryColumn() throws Exception {
    Path p = write("skip.jsonl", "{\"a\": 1}\n{\"a\": 2, \"late\": true}\n");
    try (TableReader reader = DataReader.open(p, c -> c.equals("a"))) {
      assertEquals(List.of("a"), reader.columns());
      assertTrue(reader.columnsMayGrow());
      reader.skipRemaining();
      assertEquals(List.of("a", "late"), reader.columns());
      assertEquals(List.of("late"), reader.carriedColumns());
      assertEquals(Optional.empty(), reader.next(10), "skipped rows are not read again");
    }
    Path bad = write("skipbad.jsonl", "{\"a\": 1}\n{\"a\": \"x\"}\n");
    try (TableReader reader = DataReader.open(bad, c -> true)) {
      assertThrows(DataFormatException.class, reader::skipRemaining);
    }
  }

  @Test
  void aCsvHeaderNamesEveryColumnOnceOpen() throws Exception {
    try (TableReader reader = DataReader.open(write("h.csv", "id,x\nA,1\n"), c -> c.equals("x"))) {
      assertEquals(List.of("id", "x"), reader.columns());
      assertEquals(List.of("x"), reader.featureColumns());
      assertEquals(List.of("id"), reader.carriedColumns());
      assertTrue(!reader.columnsMayGrow());
    }
  }

  /** Each file is malformed at its last line; reading it a row at a time fails with the whole-file message. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "count.csv|a,b\\n1,2\\n1,2,3\\n",
      "quote.csv|a,b\\n1,2\\n1,\"2\\n",
      "after.csv|a,b\\n1,2\\n1,\"2\"x\\n",
      "nan.csv|a,b\\n1,2\\n1,NaN\\n",
      "headeronly.csv|a,b\\n",
      "empty.csv|''",
      "dup.csv|a,a\\n1,2\\n",
      "fields.jsonl|{\"a\": 1}\\n{\"b\": 1}\\n",
      "text.jsonl|{\"a\": 1}\\n{\"a\": \"x\"}\\n",
      "json.jsonl|{\"a\": 1}\\n{oops\\n",
      "blank.jsonl|\\n\\n"})
  void errorsAreTheWholeFileReadersErrors(String name, String content) throws Exception {
    Path p = write(name, content.replace("\\n", "\n"));
    String whole = assertThrows(DataFormatException.class, () -> DataReader.read(p, c -> true)).getMessage();
    String chunked = assertThrows(DataFormatException.class, () -> chunks(p, c -> true, 1)).getMessage();
    assertEquals(whole, chunked);
  }

  @Test
  void bytesThatAreNotUtf8InALaterChunkNameTheFile() throws Exception {
    Path p = dir.resolve("late-binary.csv");
    // Past the reader's first buffer (8 192 chars), so that the bad bytes are met by a later chunk.
    byte[] head = ("a\n" + "1\n".repeat(10_000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] bytes = java.util.Arrays.copyOf(head, head.length + 3);
    bytes[head.length] = (byte) 0xff;
    bytes[head.length + 1] = (byte) 0xfe;
    bytes[head.length + 2] = '\n';
    Files.write(p, bytes);
    try (TableReader reader = DataReader.open(p, c -> true)) {
      assertEquals(1, reader.next(1).orElseThrow().rows());
      DataFormatException e = assertThrows(DataFormatException.class, () -> reader.next(20_000));
      assertEquals(p + " is not UTF-8 text (is it a CSV or JSON-lines file?)", e.getMessage());
    }
  }

  @Test
  void aChunkHoldsAtLeastOneRow() throws Exception {
    try (TableReader reader = DataReader.open(write("one.csv", "a\n1\n"), c -> true)) {
      assertThrows(IllegalArgumentException.class, () -> reader.next(0));
    }
  }

  private static List<Table> chunks(Path p, Predicate<String> isFeature, int rows) throws Exception {
    List<Table> chunks = new ArrayList<>();
    try (TableReader reader = DataReader.open(p, isFeature)) {
      for (Optional<Table> chunk; (chunk = reader.next(rows)).isPresent(); ) {
        assertTrue(chunk.get().rows() <= rows);
        chunks.add(chunk.get());
      }
    }
    return chunks;
  }

  /** The chunks, one after another, hold the whole table's rows: values, carried cells and final columns. */
  private static void assertSameRows(Table whole, List<Table> chunks) {
    Table last = chunks.get(chunks.size() - 1);
    assertEquals(whole.columns(), last.columns());
    assertEquals(whole.carriedColumns(), last.carriedColumns());
    int row = 0;
    for (Table chunk : chunks) {
      assertEquals(whole.features().columns(), chunk.features().columns());
      int d = chunk.features().dim();
      for (int r = 0; r < chunk.rows(); r++, row++) {
        for (int c = 0; c < d; c++) {
          assertEquals(whole.features().values()[row * d + c], chunk.features().values()[r * d + c]);
        }
        for (int k = 0; k < whole.carriedColumns().size(); k++) {
          assertEquals(whole.carried(row, k), chunk.carried(r, k), "row " + row + ", carried column " + k);
        }
      }
    }
    assertEquals(whole.rows(), row);
  }
}
