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

  // ------------------------------------------------------------------ carried (non-feature) columns

  @Test
  void csvColumnsThatAreNotFeaturesAreCarriedAsTheirTextUnparsed() throws Exception {
    Table t = DataReader.read(write("ids.csv", "id,x,label\n9007199254740993,1.5,pump A\n007,2,\n"),
        c -> c.equals("x"));
    assertEquals(List.of("id", "x", "label"), t.columns());
    assertEquals(List.of("x"), t.features().columns());
    assertArrayEquals(new double[] {1.5, 2}, t.features().values(), 0.0);
    assertEquals(List.of("id", "label"), t.carriedColumns());
    assertEquals(Table.Cell.text("9007199254740993"), t.carried(0, 0), "above 2^53: every digit kept");
    assertEquals(Table.Cell.text("007"), t.carried(1, 0), "not reformatted as a number");
    assertEquals(Table.Cell.text("pump A"), t.carried(0, 1));
    assertEquals(Table.Cell.text(""), t.carried(1, 1), "an empty carried field is fine");
  }

  @Test
  void aBadFeatureValueIsStillAnErrorWhenOtherColumnsAreText() throws Exception {
    Path p = write("mixed.csv", "id,x\nA-1,1\nA-2,oops\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p, c -> c.equals("x")));
    assertTrue(e.getMessage().contains("mixed.csv line 3, column 2 ('x'): 'oops' is not a number"), e.getMessage());
  }

  @Test
  void quotedCsvFieldsMayHoldCommasQuotesAndLineBreaks() throws Exception {
    Table t = DataReader.read(write("q.csv",
        "\"name, full\",x\n\"Smith, J.\",1\n \"say \"\"hi\"\"\" ,2\n\"two\nlines\",3\n\"4\",\"5\"\n"),
        c -> c.equals("x"));
    assertEquals(List.of("name, full", "x"), t.columns());
    assertArrayEquals(new double[] {1, 2, 3, 5}, t.features().values(), 0.0);
    assertEquals("Smith, J.", t.carried(0, 0).text());
    assertEquals("say \"hi\"", t.carried(1, 0).text());
    assertEquals("two\nlines", t.carried(2, 0).text());
    assertEquals("4", t.carried(3, 0).text());
  }

  @Test
  void aRecordSpanningLinesIsReportedByTheLineItStartsOn() throws Exception {
    Path p = write("span.csv", "note,x\n\"a\nb\",1\nc,bad\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p, c -> c.equals("x")));
    assertTrue(e.getMessage().contains("line 4, column 2 ('x'): 'bad' is not a number"), e.getMessage());
  }

  @Test
  void anUnclosedQuoteNamesTheLineAndColumnWhereItOpened() throws Exception {
    Path p = write("open.csv", "a,b\n1,\"2\n3,4\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertTrue(e.getMessage().contains("open.csv line 2, column 2: the quote that opens this field is never closed"),
        e.getMessage());
  }

  @Test
  void textAfterAClosingQuoteIsAnError() throws Exception {
    Path p = write("after.csv", "a,b\n1,\"2\"x\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertTrue(e.getMessage().contains("line 2, column 2: text after the closing quote"), e.getMessage());
  }

  @Test
  void duplicateColumnNamesAreAnError() throws Exception {
    Path p = write("dup.csv", "a,b,a\n1,2,3\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertTrue(e.getMessage().contains("columns 1 and 3 are both named 'a'"), e.getMessage());
  }

  @Test
  void jsonFieldsThatAreNotFeaturesAreCarriedAsWritten() throws Exception {
    Table t = DataReader.read(write("f.jsonl",
        "{\"id\": 12345678901234567890, \"a\": 1, \"ok\": true, \"tag\": \"x\", \"w\": 1.10, \"n\": null}\n"
            + "{\"a\": 2, \"id\": 7, \"ok\": false, \"tag\": \"y\", \"w\": 2, \"n\": [1, 2]}\n"), c -> c.equals("a"));
    assertEquals(List.of("id", "a", "ok", "tag", "w", "n"), t.columns());
    assertArrayEquals(new double[] {1, 2}, t.features().values(), 0.0);
    assertEquals(new Table.Cell("12345678901234567890", Table.Cell.Kind.NUMBER), t.carried(0, 0));
    assertEquals(new Table.Cell("true", Table.Cell.Kind.BOOLEAN), t.carried(0, 1));
    assertEquals(Table.Cell.text("x"), t.carried(0, 2));
    assertEquals(new Table.Cell("1.10", Table.Cell.Kind.NUMBER), t.carried(0, 3), "digits as written");
    assertEquals(Table.Cell.Kind.NULL, t.carried(0, 4).kind());
    assertEquals(new Table.Cell("[1,2]", Table.Cell.Kind.JSON), t.carried(1, 4));
  }

  @Test
  void eventMetadataAndTheFieldsBesideFeaturesAreNeverFeatures() throws Exception {
    Table event = DataReader.read(write("e.jsonl",
        "{\"key\": \"pump-01\", \"ts\": 1700000000000, \"features\": {\"t\": 1, \"p\": 2}, \"label\": \"normal\"}\n"
            + "{\"key\": \"pump-02\", \"features\": {\"p\": 4, \"t\": 3}, \"label\": \"spike\"}\n"), c -> true);
    assertEquals(List.of("key", "ts", "t", "p", "label"), event.columns(), "the features in place of 'features'");
    assertEquals(List.of("t", "p"), event.features().columns());
    assertArrayEquals(new double[] {1, 2, 3, 4}, event.features().values(), 0.0);
    assertEquals(Table.Cell.text("pump-02"), event.carried(1, 0));
    assertEquals(Table.Cell.MISSING, event.carried(1, 1), "a carried field may be absent from a row");
    Table flat = DataReader.read(write("g.jsonl", "{\"key\": \"k\", \"ts\": 5, \"model\": \"m\", \"t\": 1}\n"), c -> true);
    assertEquals(List.of("t"), flat.features().columns(), "a numeric ts is metadata, not a feature");
    assertEquals(List.of("key", "ts", "model"), flat.carriedColumns());
  }

  @Test
  void aModelThatNeedsEventMetadataIsToldItIsNotAFeature() throws Exception {
    Table flat = DataReader.read(write("h.jsonl", "{\"ts\": 5, \"t\": 1}\n"), c -> true);
    DataFormatException e = assertThrows(DataFormatException.class,
        () -> flat.featureIndices(List.of("t", "ts"), "model 'm'"));
    assertTrue(e.getMessage().contains("column 'ts', which model 'm' needs, is not a feature in this file"),
        e.getMessage());
  }

  @Test
  void aTextOrBooleanJsonFeatureIsAnErrorNamingIt() throws Exception {
    Path p = write("b.jsonl", "{\"a\": 1, \"ok\": true}\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertTrue(e.getMessage().contains("line 1, column 2 ('ok'): 'true' is not a number"), e.getMessage());
  }

  @Test
  void jsonNanAndInfinityAreNotFiniteNumbersNotParserErrors() throws Exception {
    DataFormatException nan = assertThrows(DataFormatException.class,
        () -> DataReader.read(write("nan.jsonl", "{\"a\": 1}\n{\"a\": NaN}\n")));
    assertEquals(nan.getMessage(), dir.resolve("nan.jsonl") + " line 2, column 1 ('a'): NaN is not finite; remove or"
        + " impute non-finite values");
    DataFormatException inf = assertThrows(DataFormatException.class,
        () -> DataReader.read(write("inf.jsonl", "{\"a\": -Infinity}\n")));
    assertTrue(inf.getMessage().contains("line 1, column 1 ('a'): -Infinity is not finite"), inf.getMessage());
  }

  @Test
  void invalidJsonSaysWhatIsWrongWithoutParserInternals() throws Exception {
    for (String line : new String[] {"{\"a\": +1}", "{\"a\": 01}", "{\"a\": 1, \"a\": 2}", "{oops"}) {
      DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(write("x.jsonl", line + "\n")));
      assertTrue(e.getMessage().contains("x.jsonl line 1: not valid JSON (") && e.getMessage().contains("at column"),
          e.getMessage());
      assertTrue(!e.getMessage().contains("Feature") && !e.getMessage().contains("REDACTED"), e.getMessage());
    }
  }

  @Test
  void aFieldInFeaturesAndAtTheTopLevelIsAnError() throws Exception {
    Path p = write("twice.jsonl", "{\"t\": 0, \"features\": {\"t\": 1}}\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertTrue(e.getMessage().contains("field 't' is both in features and at the top level"), e.getMessage());
  }

  @Test
  void bytesThatAreNotUtf8NameTheFile() throws Exception {
    Path p = dir.resolve("model.csv");
    Files.write(p, new byte[] {'F', 'L', 'O', 'W', 'G', 'A', 'R', 'D', 3, 0, (byte) 0xff, (byte) 0xfe, '\n', 1});
    DataFormatException e = assertThrows(DataFormatException.class, () -> DataReader.read(p));
    assertEquals(p + " is not UTF-8 text (is it a CSV or JSON-lines file?)", e.getMessage());
  }

  @Test
  void aDirectoryIsAFileSystemErrorNamingIt() {
    java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
        () -> DataReader.read(dir));
    assertEquals(dir.toString(), e.getFile());
    assertTrue(e.getReason().startsWith("is a directory"), e.getReason());
  }
}
