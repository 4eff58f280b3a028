package io.flowguard.connectors.model;

import io.flowguard.core.model.ModelSignature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.InputStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads whole model files, one per request. Files are read on the task thread: model files are small
 * and rare, so a fetcher thread (as in Flink's FileSource) would add machinery for no gain.
 */
final class ModelFileReader implements SourceReader<ModelRecord, ModelFileSplit> {

  private static final Logger LOG = LoggerFactory.getLogger(ModelFileReader.class);

  private final SourceReaderContext context;
  private final long maxFileBytes;
  private final ArrayDeque<ModelFileSplit> splits = new ArrayDeque<>();
  private CompletableFuture<Void> available = new CompletableFuture<>();
  private boolean requested;
  private boolean noMoreSplits;

  ModelFileReader(SourceReaderContext context, long maxFileBytes) {
    this.context = context;
    this.maxFileBytes = maxFileBytes;
  }

  @Override
  public void start() {
    request();
  }

  private void request() {
    if (!requested && !noMoreSplits) {
      requested = true;
      context.sendSplitRequest();
    }
  }

  @Override
  public InputStatus pollNext(ReaderOutput<ModelRecord> output) throws IOException {
    ModelFileSplit split = splits.poll();
    if (split != null) {
      read(split, output);
    }
    if (!splits.isEmpty()) {
      return InputStatus.MORE_AVAILABLE;
    }
    if (noMoreSplits) {
      return InputStatus.END_OF_INPUT;
    }
    request();
    return InputStatus.NOTHING_AVAILABLE;
  }

  private void read(ModelFileSplit split, ReaderOutput<ModelRecord> output) throws IOException {
    Path path = new Path(split.path());
    if (split.length() > maxFileBytes) {
      LOG.warn("Skipping model file {}: {} bytes, the limit is {}", path, split.length(),
          maxFileBytes);
      return;
    }
    byte[] bytes;
    FileSystem fs = path.getFileSystem();
    try (InputStream in = fs.open(path)) {
      // One byte more than the limit tells a file that grew since it was listed.
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxFileBytes + 1));
    } catch (FileNotFoundException e) {
      LOG.warn("Model file {} disappeared before it was read; skipping", path);
      return;
    }
    if (bytes.length > maxFileBytes) {
      LOG.warn("Skipping model file {}: more than {} bytes", path, maxFileBytes);
      return;
    }
    output.collect(
        new ModelRecord(ModelDirectorySource.modelName(path), bytes, -1L,
            split.modificationTime(), signature(fs, path)),
        split.modificationTime());
  }

  /**
   * The signature in {@code NAME.fgm.sig} beside the model file (issue 19: signed models); empty
   * when there is none. Read after the model file, so write the signature first.
   */
  private static byte[] signature(FileSystem fs, Path model) throws IOException {
    Path sig = new Path(model.getParent(), model.getName() + ModelSignature.FILE_SUFFIX);
    try (InputStream in = fs.open(sig)) {
      byte[] text = in.readNBytes(1024);
      return ModelSignature.parseSignatureFile(new String(text, StandardCharsets.US_ASCII));
    } catch (FileNotFoundException e) {
      return new byte[0];
    }
  }

  @Override
  public List<ModelFileSplit> snapshotState(long checkpointId) {
    return new ArrayList<>(splits);
  }

  @Override
  public CompletableFuture<Void> isAvailable() {
    if (!splits.isEmpty() || noMoreSplits) {
      return CompletableFuture.completedFuture(null);
    }
    if (available.isDone()) {
      available = new CompletableFuture<>();
    }
    return available;
  }

  @Override
  public void addSplits(List<ModelFileSplit> newSplits) {
    splits.addAll(newSplits);
    requested = false;
    available.complete(null);
  }

  @Override
  public void notifyNoMoreSplits() {
    noMoreSplits = true;
    available.complete(null);
  }

  @Override
  public void close() {}
}
