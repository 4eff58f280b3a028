package io.flowguard.connectors.model;

import java.util.List;

/**
 * The checkpointed state of {@link ModelDirectorySource}'s enumerator: the file versions already
 * handed out (so a restored job does not emit them again) and those not yet assigned.
 *
 * @param seen split ids of every file version discovered so far
 * @param pending discovered splits not yet assigned to a reader
 */
public record DirectoryScanState(List<String> seen, List<ModelFileSplit> pending) {

  public DirectoryScanState {
    seen = List.copyOf(seen);
    pending = List.copyOf(pending);
  }
}
