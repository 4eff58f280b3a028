package io.flowguard.core.model;

import io.flowguard.core.data.ReplacingFile;
import io.flowguard.core.flow.Flow;
import io.flowguard.core.flow.FlowFactory;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelFormatException.Kind;
import io.flowguard.core.nn.ParameterLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The model file: one self-describing, checksummed binary file per {@link FlowModel}. Never Java
 * serialization: the layout is documented byte by byte in {@code docs/model-format.md}. In short, all
 * integers and floats little-endian:
 *
 * <pre>
 * offset        size  field
 * 0             8     magic "FLOWGARD" (ASCII)
 * 8             2     u16 format version (5; 1 to 4 are still read)
 * 10            2     u16 flags (0)
 * 12            4     u32 metadata length L
 * 16            8     u64 parameter count P
 * 24            L     UTF-8 JSON metadata (space-padded so the parameters start 8-byte aligned)
 * 24 + L        8P    parameters, IEEE-754 float64
 * 24 + L + 8P   32    SHA-256 of bytes [0, 24 + L + 8P)
 * </pre>
 *
 * <p><b>Reading hostile bytes.</b> Readers check, in this order: the magic, the version, the declared
 * sizes against fixed limits and the available bytes (before allocating anything sized by them), the
 * checksum (before interpreting anything else), the flags, the metadata, the spec against the parameter
 * layout (the structure is rebuilt from the spec and must match the stored layout summary and count
 * exactly), and the finiteness of every parameter. Every failure is a {@link ModelFormatException} whose
 * {@link ModelFormatException.Kind} says which check failed.
 *
 * <p>Parameters are stored as their exact IEEE-754 bits, so a loaded model computes bit-identical
 * log-densities.
 */
public final class ModelFormat {

  /**
   * The format version this Flowguard writes and the newest it reads. Version 2 added discrete columns'
   * grid cells and marginal transforms to the preprocessor; version 3 the spec's {@code conditionerBound}
   * (a version 2 reader would refuse it as an unknown spec field, so it gets a clear "newer version"
   * message instead); version 4 optional metadata fields (docs/model-format.md, "Version 4"), whose
   * absence means what older files meant; version 5 the time-aware models' {@code context} and the spec's
   * {@code context} size (absent: an unconditional model, as before). Versions 1 to 4 are still read.
   */
  public static final int FORMAT_VERSION = 5;
  /** The 8 ASCII bytes every model file starts with. */
  public static final String MAGIC = "FLOWGARD";
  /** Bytes before the metadata. */
  public static final int HEADER_BYTES = 24;
  /** Bytes of the SHA-256 trailer. */
  public static final int TRAILER_BYTES = 32;
  /** Largest metadata section read or written: 16 MiB. */
  public static final long MAX_METADATA_BYTES = 16L << 20;
  /** Largest parameter count read or written: 100 million (800 MB of float64). */
  public static final long MAX_PARAMETERS = 100_000_000L;
  /**
   * Most parameter blocks in a layout. Real flows have hundreds; the bound keeps a hostile spec from
   * making the structure rebuild slow (layout construction is quadratic in the block count).
   */
  public static final int MAX_LAYOUT_BLOCKS = 20_000;
  /** The largest file the limits allow. */
  public static final long MAX_FILE_BYTES = HEADER_BYTES + MAX_METADATA_BYTES + 8 * MAX_PARAMETERS + TRAILER_BYTES;

  private static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);

  private ModelFormat() {}

  // ------------------------------------------------------------------------------------------ writing

  /**
   * Encodes a model.
   *
   * @throws IllegalArgumentException if the model cannot be stored faithfully: a non-finite parameter, a
   *     provenance stamped for a newer format version, or sizes beyond the format's limits
   */
  public static byte[] toBytes(FlowModel model) {
    Objects.requireNonNull(model, "model");
    // An older model (read from a version 1 or 2 file) is written as the current version: each version
    // only added optional fields (2: grid cells and marginal transforms; 3: the spec's conditionerBound)
    // whose absence means what the older version meant, so the rewritten file scores the same. A newer
    // model cannot be written faithfully.
    if (model.provenance().formatVersion() > FORMAT_VERSION) {
      throw new IllegalArgumentException("the provenance says format version " + model.provenance().formatVersion()
          + " but this Flowguard writes version " + FORMAT_VERSION);
    }
    double[] theta = model.flow().parameters();
    int bad = firstNonFinite(theta);
    if (bad >= 0) {
      throw new IllegalArgumentException("parameter " + bad + " (" + blockOf(model.flow().layout(), bad) + ") is "
          + theta[bad] + ": refusing to save a model that cannot score");
    }
    if (theta.length > MAX_PARAMETERS || model.flow().layout().blocks().size() > MAX_LAYOUT_BLOCKS) {
      throw new IllegalArgumentException("the flow has " + theta.length + " parameters in "
          + model.flow().layout().blocks().size() + " blocks; the model format holds at most " + MAX_PARAMETERS
          + " in " + MAX_LAYOUT_BLOCKS);
    }
    byte[] json = ModelMetadata.encode(model);
    // Pad with spaces (JSON whitespace) so the parameters start on an 8-byte boundary.
    int padded = json.length + Math.floorMod(-(HEADER_BYTES + json.length), 8);
    if (padded > MAX_METADATA_BYTES) {
      throw new IllegalArgumentException("the metadata is " + padded + " bytes; the model format holds at most "
          + MAX_METADATA_BYTES);
    }
    int total = HEADER_BYTES + padded + 8 * theta.length + TRAILER_BYTES;
    ByteBuffer buf = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC_BYTES);
    buf.putShort((short) FORMAT_VERSION);
    buf.putShort((short) 0);
    buf.putInt(padded);
    buf.putLong(theta.length);
    buf.put(json);
    for (int i = json.length; i < padded; i++) {
      buf.put((byte) ' ');
    }
    for (double v : theta) {
      buf.putDouble(v);
    }
    byte[] bytes = buf.array();
    MessageDigest sha = Provenance.sha256();
    sha.update(bytes, 0, total - TRAILER_BYTES);
    buf.put(sha.digest());
    return bytes;
  }

  /**
   * Writes a model file atomically ({@link ReplacingFile}): to a temporary file in the same directory,
   * forced to disk, then moved over {@code path}, so a reader (or a crash) never sees a half-written
   * model. Where the file system cannot move atomically, the move falls back to a plain replace. The file
   * gets the permissions of any new file in that directory (the process's umask).
   */
  public static void write(FlowModel model, Path path) throws IOException {
    byte[] bytes = toBytes(model);
    try (ReplacingFile file = ReplacingFile.create(path)) {
      file.write(bytes);
      file.commit();
    }
  }

  /** Writes the encoded model to a stream (e.g. a Kafka record body); does not close it. */
  public static void write(FlowModel model, OutputStream out) throws IOException {
    out.write(toBytes(model));
  }

  // ------------------------------------------------------------------------------------------ reading

  /** Decodes a whole model file; bytes after the checksum trailer are an error. */
  public static FlowModel read(byte[] bytes) throws ModelFormatException {
    Objects.requireNonNull(bytes, "bytes");
    Header h = header(bytes, bytes.length);
    if (bytes.length < h.total()) {
      throw truncated(h, bytes.length);
    }
    verifyChecksum(bytes, h);
    if (bytes.length > h.total()) {
      throw new ModelFormatException(Kind.NOT_A_MODEL, (bytes.length - h.total())
          + " unexpected bytes after the end of the model (its header declares " + h.total()
          + " bytes): this is not a single Flowguard model file; was something appended to it?");
    }
    return decodeBody(bytes, h);
  }

  /** Reads a model file, rejecting files larger than {@link #MAX_FILE_BYTES} before reading them. */
  public static FlowModel read(Path path) throws IOException {
    return read(readFile(path), path);
  }

  /**
   * {@link #read(byte[])} of bytes read from {@code path}: a file that is not a model at all is named in
   * the error, with a hint when it looks like a data file.
   */
  public static FlowModel read(byte[] bytes, Path path) throws IOException {
    try {
      return read(bytes);
    } catch (ModelFormatException e) {
      if (e.kind() != Kind.NOT_A_MODEL) {
        throw e;
      }
      // Name the file, and say what it looks like: a data file given as the model is the usual mistake.
      String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
      boolean data = name.matches(".*\\.(csv|tsv|jsonl|ndjson|json|txt|gz|parquet)$");
      throw new ModelFormatException(Kind.NOT_A_MODEL, path + " is not a Flowguard model file (it does not start with \""
          + MAGIC + "\")" + (data ? "; it looks like a data file: give the .fgm file that 'flowguard train --out'"
          + " wrote, and the data with --data" : "; give the .fgm file that 'flowguard train --out' wrote"), e);
    }
  }

  /**
   * The bytes of a model file, for callers that need them as well as the model (checksums, timing):
   * a directory is a {@link FileSystemException} naming it, and a file larger than
   * {@link #MAX_FILE_BYTES} is rejected before it is read.
   */
  public static byte[] readFile(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new FileSystemException(path.toString(), null, "is a directory, not a model file");
    }
    long size = Files.size(path);
    if (size > MAX_FILE_BYTES) {
      throw new ModelFormatException(Kind.TOO_LARGE, path + " is " + size + " bytes; a model file is at most "
          + MAX_FILE_BYTES + " bytes. Is this a model file?");
    }
    return Files.readAllBytes(path);
  }

  /**
   * Reads one model from a stream, consuming exactly its bytes (the stream may go on with other data).
   * Nothing larger than {@code maxBytes} is read: the header's declared sizes are checked against it
   * before the body is read.
   */
  public static FlowModel read(InputStream in, long maxBytes) throws IOException {
    Objects.requireNonNull(in, "in");
    byte[] head = in.readNBytes(HEADER_BYTES);
    Header h = header(head, head.length);
    if (h.total() > maxBytes) {
      throw new ModelFormatException(Kind.TOO_LARGE, "the model declares " + h.total() + " bytes, more than the "
          + maxBytes + " allowed here; raise the limit if the model is legitimately this large");
    }
    int bodyLength = (int) (h.total() - HEADER_BYTES);
    // readNBytes grows its buffer as data arrives, so a short stream never causes a large allocation.
    byte[] body = in.readNBytes(bodyLength);
    if (body.length < bodyLength) {
      throw truncated(h, HEADER_BYTES + body.length);
    }
    byte[] all = new byte[(int) h.total()];
    System.arraycopy(head, 0, all, 0, HEADER_BYTES);
    System.arraycopy(body, 0, all, HEADER_BYTES, bodyLength);
    verifyChecksum(all, h);
    return decodeBody(all, h);
  }

  /** The fixed-size header, with sizes already checked against the format's limits. */
  private record Header(int version, int flags, int metadataLength, int parameterCount) {
    long total() {
      return HEADER_BYTES + (long) metadataLength + 8L * parameterCount + TRAILER_BYTES;
    }
  }

  /** Parses and bounds the header from the first {@code length} bytes; allocates nothing sized by it. */
  private static Header header(byte[] b, int length) throws ModelFormatException {
    int prefix = Math.min(length, MAGIC_BYTES.length);
    if (!Arrays.equals(b, 0, prefix, MAGIC_BYTES, 0, prefix)) {
      throw new ModelFormatException(Kind.NOT_A_MODEL, "the data does not start with \"" + MAGIC
          + "\": it is not a Flowguard model file");
    }
    if (length < HEADER_BYTES) {
      throw new ModelFormatException(Kind.TRUNCATED, "the file is " + length + " bytes, shorter than the "
          + HEADER_BYTES + "-byte header: it was cut off; copy or export the model again");
    }
    ByteBuffer buf = ByteBuffer.wrap(b, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.position(MAGIC_BYTES.length);
    int version = Short.toUnsignedInt(buf.getShort());
    int flags = Short.toUnsignedInt(buf.getShort());
    long metadataLength = Integer.toUnsignedLong(buf.getInt());
    long parameterCount = buf.getLong();
    if (version > FORMAT_VERSION) {
      throw new ModelFormatException(Kind.NEWER_VERSION, "model file format version " + version
          + " is newer than this Flowguard supports (" + FORMAT_VERSION + "); upgrade Flowguard");
    }
    if (version < 1) {
      throw new ModelFormatException(Kind.UNSUPPORTED_VERSION, "model file format version " + version
          + " does not exist; this Flowguard reads version " + FORMAT_VERSION + ". The file is damaged");
    }
    if (metadataLength > MAX_METADATA_BYTES) {
      throw new ModelFormatException(Kind.TOO_LARGE, "the header declares " + metadataLength
          + " bytes of metadata; at most " + MAX_METADATA_BYTES + " are allowed. The file is damaged or not a model");
    }
    if (Long.compareUnsigned(parameterCount, MAX_PARAMETERS) > 0) {
      throw new ModelFormatException(Kind.TOO_LARGE, "the header declares " + Long.toUnsignedString(parameterCount)
          + " parameters; at most " + MAX_PARAMETERS + " are allowed. The file is damaged or not a model");
    }
    return new Header(version, flags, (int) metadataLength, (int) parameterCount);
  }

  private static ModelFormatException truncated(Header h, long have) {
    return new ModelFormatException(Kind.TRUNCATED, "the header declares " + h.total() + " bytes but only "
        + have + " are present: the file was cut off; copy or export the model again");
  }

  private static void verifyChecksum(byte[] b, Header h) throws ModelFormatException {
    int end = (int) h.total() - TRAILER_BYTES;
    MessageDigest sha = Provenance.sha256();
    sha.update(b, 0, end);
    byte[] expected = sha.digest();
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(b, end, end + TRAILER_BYTES))) {
      throw new ModelFormatException(Kind.CHECKSUM_MISMATCH, "the SHA-256 trailer does not match the content:"
          + " the file was damaged after it was written; restore it from the original");
    }
  }

  /** Everything after the checksum: the checksum guarantees these are the bytes the writer wrote. */
  private static FlowModel decodeBody(byte[] b, Header h) throws ModelFormatException {
    if (h.flags() != 0) {
      throw new ModelFormatException(Kind.UNSUPPORTED_VERSION, String.format("header flags 0x%04x are set, but"
          + " format version %d defines none; the file was written by an incompatible tool", h.flags(), h.version()));
    }
    ModelMetadata meta = ModelMetadata.decode(b, HEADER_BYTES, h.metadataLength(), h.version());
    if (meta.parameterCount() != h.parameterCount()) {
      throw new ModelFormatException(Kind.SHAPE_MISMATCH, "the metadata lists " + meta.parameterCount()
          + " parameters but the header declares " + h.parameterCount());
    }
    if (meta.provenance().formatVersion() != h.version()) {
      throw new ModelFormatException(Kind.CORRUPT_METADATA, "provenance.formatVersion is "
          + meta.provenance().formatVersion() + " in a version " + h.version() + " file");
    }
    FlowSpec spec = meta.spec();
    if (spec.dim() != meta.preprocessor().dim()) {
      throw new ModelFormatException(Kind.SHAPE_MISMATCH, "the spec has dimension " + spec.dim()
          + " but the preprocessor keeps " + meta.preprocessor().dim() + " features");
    }
    Flow flow = rebuild(spec, meta.blocks(), h.parameterCount());
    double[] theta = new double[h.parameterCount()];
    ByteBuffer buf = ByteBuffer.wrap(b, HEADER_BYTES + h.metadataLength(), 8 * h.parameterCount())
        .order(ByteOrder.LITTLE_ENDIAN);
    buf.asDoubleBuffer().get(theta);
    int bad = firstNonFinite(theta);
    if (bad >= 0) {
      throw new ModelFormatException(Kind.CORRUPT_PARAMETERS, "parameter " + bad + " ("
          + blockOf(flow.layout(), bad) + ") is " + theta[bad] + "; a model with non-finite parameters cannot"
          + " score. Retrain or restore the model");
    }
    flow.setParameters(theta);
    try {
      return new FlowModel(meta.name(), meta.version(), meta.preprocessor(), flow, meta.calibration(),
          meta.provenance(), meta.recommendedFalseAlarmRate(), meta.featureStatistics(), meta.context());
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(Kind.CORRUPT_METADATA, e.getMessage(), e);
    }
  }

  /**
   * Builds the structure for {@code spec} and checks it against the stored layout summary. Before
   * building, lower bounds on the parameter and block counts implied by the spec are checked against
   * what the file holds, so a spec cannot make the rebuild allocate much more than the file's size.
   */
  private static Flow rebuild(FlowSpec spec, List<ParameterLayout.Block> stored, int parameterCount)
      throws ModelFormatException {
    if (stored.size() > MAX_LAYOUT_BLOCKS) {
      throw new ModelFormatException(Kind.TOO_LARGE, "the layout has " + stored.size() + " parameter blocks;"
          + " at most " + MAX_LAYOUT_BLOCKS + " are allowed");
    }
    double minParameters = minParameters(spec);
    if (minParameters > parameterCount) {
      throw new ModelFormatException(Kind.SHAPE_MISMATCH, "the spec needs at least " + (long) Math.min(minParameters,
          Long.MAX_VALUE) + " parameters but the file holds " + parameterCount);
    }
    double minBlocks = minBlocks(spec);
    if (minBlocks > stored.size()) {
      throw new ModelFormatException(Kind.SHAPE_MISMATCH, "the spec needs at least " + (long) minBlocks
          + " parameter blocks but the layout lists " + stored.size());
    }
    Flow flow;
    try {
      flow = FlowFactory.structure(spec);
    } catch (RuntimeException e) {
      // The spec passed FlowSpec's own validation but the factory rejected it; any failure here is a
      // property of the stored spec, and must surface as a format error, never as a crash.
      throw new ModelFormatException(Kind.CORRUPT_METADATA, "the stored spec cannot be built: " + e.getMessage(), e);
    }
    ParameterLayout layout = flow.layout();
    if (layout.size() != parameterCount) {
      throw new ModelFormatException(Kind.SHAPE_MISMATCH, "the spec builds a flow with " + layout.size()
          + " parameters but the file holds " + parameterCount);
    }
    List<ParameterLayout.Block> built = layout.blocks();
    for (int i = 0; i < Math.max(built.size(), stored.size()); i++) {
      ParameterLayout.Block want = i < built.size() ? built.get(i) : null;
      ParameterLayout.Block have = i < stored.size() ? stored.get(i) : null;
      if (!Objects.equals(want, have)) {
        throw new ModelFormatException(Kind.SHAPE_MISMATCH, "parameter block " + i + " of the spec is "
            + (want == null ? "absent" : want) + " but the file lists " + (have == null ? "nothing" : have)
            + "; the file was written for a different flow structure");
      }
    }
    return flow;
  }

  /**
   * A lower bound on the parameter count of {@code spec}, in floating point so that absurd specs cannot
   * overflow: every conditioner is an MLP from at least {@code floor(d/2)} (coupling) or {@code d}
   * (autoregressive) inputs to as many outputs times the element's parameters per dimension.
   */
  static double minParameters(FlowSpec s) {
    if (s.family().equals(FlowSpec.GLOW)) {
      // Each step has at least its ActNorm: 2 values per channel (>= 4 after a squeeze) and a flag.
      return (double) s.levels() * s.layers() * 9;
    }
    double d = s.dim();
    boolean coupling = s.family().equals(FlowSpec.REALNVP) || s.family().equals(FlowSpec.NICE)
        || s.family().equals(FlowSpec.SPLINE_COUPLING);
    double perDim = switch (s.family()) {
      case FlowSpec.NICE -> 1;
      case FlowSpec.SPLINE_COUPLING, FlowSpec.SPLINE_AUTOREGRESSIVE -> Math.max(1.0, 3.0 * s.bins() - 1);
      default -> 2;
    };
    double in = coupling ? Math.floor(d / 2) : d;
    double[] sizes = new double[s.hidden().length + 2];
    sizes[0] = in;
    int[] hidden = s.hidden();
    for (int i = 0; i < hidden.length; i++) {
      sizes[i + 1] = hidden[i];
    }
    sizes[sizes.length - 1] = in * perDim;
    double mlp = 0;
    for (int l = 0; l + 1 < sizes.length; l++) {
      mlp += sizes[l] * sizes[l + 1] + sizes[l + 1];
    }
    double perLayer = mlp + (s.actNorm() ? 2 * d + 1 : 0);
    double mixing = s.mixing().equals("lu") ? d * (d - 1) + 2 * d : 0;
    double base = switch (s.base().type()) {
      case "diagonal-normal" -> 2 * d;
      case "gaussian-mixture" -> s.base().components() * (2 * d + 1);
      default -> 0;
    };
    return s.layers() * perLayer + (s.layers() - 1.0) * mixing + base;
  }

  /** A lower bound on the number of parameter blocks of {@code spec}: weights and biases per MLP layer. */
  static double minBlocks(FlowSpec s) {
    if (s.family().equals(FlowSpec.GLOW)) {
      // Per step: ActNorm 3, the 1x1 convolution 4, the conditioner a weight and a bias per convolution.
      return (double) s.levels() * s.layers() * (7 + 2.0 * (s.hidden().length + 1));
    }
    double perLayer = 2.0 * (s.hidden().length + 1) + (s.actNorm() ? 3 : 0);
    double mixing = s.mixing().equals("lu") ? 4 : 0;
    return s.layers() * perLayer + (s.layers() - 1.0) * mixing;
  }

  private static int firstNonFinite(double[] v) {
    for (int i = 0; i < v.length; i++) {
      if (!Double.isFinite(v[i])) {
        return i;
      }
    }
    return -1;
  }

  private static String blockOf(ParameterLayout layout, int index) {
    for (ParameterLayout.Block b : layout.blocks()) {
      if (index >= b.offset() && index < b.offset() + b.size()) {
        return "block " + b.name() + ", entry " + (index - b.offset());
      }
    }
    return "no block";
  }
}
