package io.flowguard.core.transform;

/**
 * The shape {@code channels x height x width} of a tensor-valued event (a small image, a spectrogram, a
 * sensor grid). The event's features are its values in row-major tensor order: feature
 * {@code c * height * width + h * width + w} is channel c at row h, column w. Channel-major order makes a
 * channel (and the first k channels) a contiguous block, which is what the multi-scale split uses.
 */
public record TensorShape(int channels, int height, int width) {

  public TensorShape {
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException("a tensor shape needs positive channels, height and width, got "
          + channels + " x " + height + " x " + width);
    }
  }

  /** The number of values, {@code channels * height * width}. */
  public int size() {
    return channels * height * width;
  }

  /** Pixels per channel, {@code height * width}. */
  public int pixels() {
    return height * width;
  }

  /** Flat index of channel c at (h, w). */
  public int index(int c, int h, int w) {
    return (c * height + h) * width + w;
  }

  /** The shape after a squeeze: {@code 4C x H/2 x W/2}. */
  public TensorShape squeezed() {
    if (height % 2 != 0 || width % 2 != 0) {
      throw new IllegalArgumentException("cannot squeeze " + this + ": height and width must be even");
    }
    return new TensorShape(4 * channels, height / 2, width / 2);
  }

  /** The shape with only the first {@code c} channels (what continues after a multi-scale split). */
  public TensorShape withChannels(int c) {
    return new TensorShape(c, height, width);
  }

  @Override
  public String toString() {
    return channels + "x" + height + "x" + width;
  }
}
