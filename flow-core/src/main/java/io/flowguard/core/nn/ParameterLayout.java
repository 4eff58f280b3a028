package io.flowguard.core.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The flat parameter vector of a flow: every module asks for named blocks while it is built, and gets
 * back an offset into one shared {@code double[]}. One flat vector makes the optimizer, gradient
 * clipping, checkpoints of the best parameters and the model file trivial and exact.
 */
public final class ParameterLayout {

  /** A named, contiguous block of the parameter vector. */
  public record Block(String name, int offset, int size, ParamKind kind) {}

  private final List<Block> blocks = new ArrayList<>();
  private int size;

  /** Reserves {@code count} parameters and returns their offset. */
  public int allocate(String name, int count, ParamKind kind) {
    if (count < 0) {
      throw new IllegalArgumentException("negative parameter count for " + name);
    }
    for (Block b : blocks) {
      if (b.name().equals(name)) {
        throw new IllegalArgumentException("duplicate parameter block name: " + name);
      }
    }
    int offset = size;
    blocks.add(new Block(name, offset, count, kind));
    size += count;
    return offset;
  }

  public int size() {
    return size;
  }

  public List<Block> blocks() {
    return Collections.unmodifiableList(blocks);
  }

  /** A mask over the parameter vector: 1 where weight decay applies. */
  public boolean[] decayMask() {
    boolean[] mask = new boolean[size];
    for (Block b : blocks) {
      if (b.kind() == ParamKind.WEIGHT) {
        java.util.Arrays.fill(mask, b.offset(), b.offset() + b.size(), true);
      }
    }
    return mask;
  }

  /** A mask over the parameter vector: 1 where the optimizer may change the value. */
  public boolean[] trainableMask() {
    boolean[] mask = new boolean[size];
    for (Block b : blocks) {
      if (b.kind() != ParamKind.STATE) {
        java.util.Arrays.fill(mask, b.offset(), b.offset() + b.size(), true);
      }
    }
    return mask;
  }
}
