package io.flowguard.connectors.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.fs.Path;
import org.apache.flink.util.FlinkRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the model directory (off the coordinator thread) and hands each new file version to the next
 * reader that asks. Everything but the listing itself runs on the coordinator thread, so no locking.
 */
final class DirectoryEnumerator implements SplitEnumerator<ModelFileSplit, DirectoryScanState> {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryEnumerator.class);

  private final SplitEnumeratorContext<ModelFileSplit> context;
  private final Path directory;
  private final long rescanMillis;
  private final Set<String> seen;
  private final ArrayDeque<ModelFileSplit> pending;
  private final Set<Integer> waiting = new LinkedHashSet<>();
  private boolean listed;

  DirectoryEnumerator(
      SplitEnumeratorContext<ModelFileSplit> context,
      Path directory,
      long rescanMillis,
      List<String> seen,
      List<ModelFileSplit> pending) {
    this.context = context;
    this.directory = directory;
    this.rescanMillis = rescanMillis;
    this.seen = new LinkedHashSet<>(seen);
    this.pending = new ArrayDeque<>(pending);
  }

  private boolean bounded() {
    return rescanMillis < 0;
  }

  @Override
  public void start() {
    if (bounded()) {
      context.callAsync(() -> ModelDirectorySource.list(directory), this::onListing);
    } else {
      context.callAsync(
          () -> ModelDirectorySource.list(directory), this::onListing, 0, rescanMillis);
    }
  }

  private void onListing(List<ModelFileSplit> files, Throwable error) {
    if (error != null) {
      if (bounded()) {
        // A one-off listing that fails has nothing to fall back on: fail (and let Flink restart).
        throw new FlinkRuntimeException("listing model directory " + directory + " failed", error);
      }
      // Monitoring: a transient storage error must not stop scoring; the next listing retries.
      LOG.warn("Listing model directory {} failed; retrying in {} ms", directory, rescanMillis,
          error);
      return;
    }
    for (ModelFileSplit f : files) {
      if (seen.add(f.splitId())) {
        pending.add(f);
      }
    }
    listed = true;
    assign();
  }

  @Override
  public void handleSplitRequest(int subtaskId, String requesterHostname) {
    waiting.add(subtaskId);
    assign();
  }

  @Override
  public void addSplitsBack(List<ModelFileSplit> splits, int subtaskId) {
    // Splits of a failed reader since the last checkpoint: hand them out again.
    pending.addAll(splits);
    assign();
  }

  @Override
  public void addReader(int subtaskId) {
    // Readers ask for splits themselves (handleSplitRequest).
  }

  private void assign() {
    Iterator<Integer> it = waiting.iterator();
    while (it.hasNext()) {
      int reader = it.next();
      if (!context.registeredReaders().containsKey(reader)) {
        it.remove(); // failed since it asked; its restarted attempt will ask again
      } else if (!pending.isEmpty()) {
        context.assignSplit(pending.poll(), reader);
        it.remove();
      } else if (bounded() && listed) {
        context.signalNoMoreSplits(reader);
        it.remove();
      } else {
        return;
      }
    }
  }

  @Override
  public DirectoryScanState snapshotState(long checkpointId) {
    return new DirectoryScanState(new ArrayList<>(seen), new ArrayList<>(pending));
  }

  @Override
  public void close() {}
}
