package io.flowguard.core.flow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flowguard.core.nn.Activation;
import io.flowguard.core.transform.RationalQuadraticSpline;
import io.flowguard.core.transform.TensorShape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A declarative, JSON-serializable description of a flow's architecture. The same spec travels inside
 * model files, so building it twice gives the same structure and parameter layout.
 *
 * <pre>{@code
 * {"family": "realnvp", "dim": 2, "layers": 6, "hidden": [64, 64], "activation": "relu",
 *  "scaleBound": 3.0, "actNorm": false, "mixing": "none",
 *  "base": {"type": "standard-normal"}}
 * }</pre>
 *
 * <p>Families: {@code realnvp} (affine coupling), {@code nice} (additive coupling), {@code maf},
 * {@code iaf}, {@code spline-coupling} and {@code spline-autoregressive} (rational-quadratic splines),
 * and {@code glow} for tensor-shaped events ({@code shape: [C, H, W]}, {@code levels}; {@code layers} is
 * the steps per level and {@code hidden} the conditioner's channels, default [32, 32]; see
 * {@link #glow}).
 * Coupling layers alternate checkerboard masks; autoregressive layers alternate natural and reversed
 * orderings. {@code mixing} adds a layer between flow layers: {@code none}, {@code reverse},
 * {@code permute} (seeded random permutation) or {@code lu} (learned LU linear map). {@code actNorm}
 * puts an ActNorm (data-initialized) before every layer. {@code conditionerBound} (autoregressive
 * families only; absent = none) feeds each MADE {@code b tanh(x / b)} instead of x, so the shifts and
 * scales are bounded functions of the earlier dimensions and a far outlier cannot extrapolate them into
 * an absurd density. Missing fields take the defaults below.
 *
 * <p>Conditional flows: {@code context} (absent = 0, written as an absent field, so an unconditional spec
 * is exactly what it was before the field existed) is the number m of context values per row. The flow
 * then models {@code p(x | c)}: every coupling conditioner reads {@code [x_A, c]}, every MADE reads c
 * at every first-layer hidden unit (so even the first dimension in the ordering, and d = 1, depends on
 * c); mixing layers and ActNorm do not read it. The {@code conditional-normal} base (context only) adds a
 * Gaussian whose mean and log-scale are affine in c. Every family but glow takes a context.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FlowSpec(
    @JsonProperty("family") String family,
    @JsonProperty("dim") int dim,
    @JsonProperty("layers") Integer layers,
    @JsonProperty("hidden") int[] hidden,
    @JsonProperty("activation") String activation,
    @JsonProperty("scaleBound") Double scaleBound,
    @JsonProperty("bins") Integer bins,
    @JsonProperty("splineBound") Double splineBound,
    @JsonProperty("actNorm") Boolean actNorm,
    @JsonProperty("mixing") String mixing,
    @JsonProperty("base") BaseSpec base,
    @JsonProperty("structureSeed") Long structureSeed,
    @JsonProperty("conditionerBound") Double conditionerBound,
    @JsonProperty("shape") int[] shape,
    @JsonProperty("levels") Integer levels,
    @JsonProperty("context") Integer context) {

  /**
   * The base distribution: {@code standard-normal}, {@code diagonal-normal}, {@code gaussian-mixture}, or
   * for a conditional flow {@code conditional-normal} (a diagonal Gaussian whose mean and log-scale are
   * affine in the context).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BaseSpec(@JsonProperty("type") String type, @JsonProperty("components") Integer components) {
    public BaseSpec {
      type = type == null ? "standard-normal" : type.toLowerCase(Locale.ROOT);
      switch (type) {
        case "standard-normal", "diagonal-normal", CONDITIONAL_NORMAL -> components = null;
        case "gaussian-mixture" -> {
          components = components == null ? 8 : components;
          if (components < 1) {
            throw new IllegalArgumentException("base.components must be at least 1, got " + components);
          }
        }
        default -> throw new IllegalArgumentException("unknown base type '" + type
            + "': use standard-normal, diagonal-normal, gaussian-mixture or conditional-normal");
      }
    }

    /** The type name of the conditional base. */
    public static final String CONDITIONAL_NORMAL = "conditional-normal";

    /** The conditional base: a diagonal Gaussian with mean and log-scale affine in the context. */
    public static BaseSpec conditionalNormal() {
      return new BaseSpec(CONDITIONAL_NORMAL, null);
    }

    public static BaseSpec standardNormal() {
      return new BaseSpec("standard-normal", null);
    }

    public static BaseSpec mixture(int components) {
      return new BaseSpec("gaussian-mixture", components);
    }
  }

  public static final String REALNVP = "realnvp";
  public static final String NICE = "nice";
  public static final String MAF = "maf";
  public static final String IAF = "iaf";
  public static final String SPLINE_COUPLING = "spline-coupling";
  public static final String SPLINE_AUTOREGRESSIVE = "spline-autoregressive";
  /** Glow (Kingma and Dhariwal 2018) over tensor-shaped events; needs {@code shape}. */
  public static final String GLOW = "glow";

  private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

  public FlowSpec {
    family = family == null ? REALNVP : family.toLowerCase(Locale.ROOT);
    switch (family) {
      case REALNVP, NICE, MAF, IAF, SPLINE_COUPLING, SPLINE_AUTOREGRESSIVE, GLOW -> { }
      default -> throw new IllegalArgumentException("unknown flow family '" + family
          + "': use realnvp, nice, maf, iaf, spline-coupling, spline-autoregressive or glow");
    }
    if (dim < 1) {
      throw new IllegalArgumentException("dim must be at least 1, got " + dim);
    }
    if (dim < 2 && isCoupling(family)) {
      throw new IllegalArgumentException("coupling flows need at least 2 dimensions; use maf for 1-D data");
    }
    layers = layers == null ? 5 : layers;
    if (layers < 1) {
      throw new IllegalArgumentException("layers must be at least 1, got " + layers);
    }
    boolean glow = family.equals(GLOW);
    hidden = hidden == null ? (glow ? new int[] {32, 32} : new int[] {64, 64}) : hidden.clone();
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("hidden sizes must be positive: " + Arrays.toString(hidden));
      }
    }
    activation = activation == null ? "relu" : activation.toLowerCase(Locale.ROOT);
    Activation.parse(activation); // fails naming the unknown activation
    scaleBound = scaleBound == null ? 3.0 : scaleBound;
    if (!(scaleBound > 0) || Double.isInfinite(scaleBound)) {
      throw new IllegalArgumentException("scaleBound must be positive and finite, got " + scaleBound);
    }
    boolean spline = family.startsWith("spline");
    bins = spline ? (bins == null ? 8 : bins) : null;
    splineBound = spline ? (splineBound == null ? 4.0 : splineBound) : null;
    if (spline && (bins < 1 || bins * RationalQuadraticSpline.DEFAULT_MIN_BIN_WIDTH >= 1)) {
      throw new IllegalArgumentException("bins must be between 1 and "
          + (int) Math.ceil(1 / RationalQuadraticSpline.DEFAULT_MIN_BIN_WIDTH - 1) + ", got " + bins);
    }
    if (spline && (!(splineBound > 0) || Double.isInfinite(splineBound))) {
      throw new IllegalArgumentException("splineBound must be positive and finite, got " + splineBound);
    }
    actNorm = actNorm != null && actNorm;
    mixing = mixing == null ? "none" : mixing.toLowerCase(Locale.ROOT);
    switch (mixing) {
      case "none", "reverse", "permute", "lu" -> { }
      default -> throw new IllegalArgumentException("unknown mixing '" + mixing + "': use none, reverse, permute or lu");
    }
    base = base == null ? BaseSpec.standardNormal() : base;
    structureSeed = structureSeed == null ? 0L : structureSeed;
    if (conditionerBound != null) {
      if (!(conditionerBound >= 0) || Double.isInfinite(conditionerBound)) {
        throw new IllegalArgumentException("conditionerBound must be finite and >= 0, got " + conditionerBound);
      }
      if (isCoupling(family) && conditionerBound > 0) {
        throw new IllegalArgumentException("conditionerBound applies to the autoregressive families (maf, iaf,"
            + " spline-autoregressive), not to " + family);
      }
      if (glow && conditionerBound > 0) {
        throw new IllegalArgumentException("conditionerBound applies to the autoregressive families, not to glow");
      }
      // 0 is "none", written as an absent field so that such a spec equals one that never had it.
      conditionerBound = conditionerBound == 0 ? null : conditionerBound;
    }
    if (glow) {
      validateGlow(dim, shape, levels, hidden, actNorm, mixing);
      shape = shape.clone();
      levels = levels == null ? 1 : levels;
    } else if (shape != null || levels != null) {
      throw new IllegalArgumentException("shape and levels apply to the glow family only, not to " + family);
    }
    if (context != null) {
      if (context < 0) {
        throw new IllegalArgumentException("context must be the number of context values per row (>= 0), got "
            + context);
      }
      if (glow && context > 0) {
        throw new IllegalArgumentException("the glow family is unconditional: context applies to realnvp, nice,"
            + " maf, iaf, spline-coupling and spline-autoregressive");
      }
      // 0 is "unconditional", written as an absent field so that such a spec equals one that never had it.
      context = context == 0 ? null : context;
    }
    if (base.type().equals(BaseSpec.CONDITIONAL_NORMAL) && context == null) {
      throw new IllegalArgumentException("the conditional-normal base needs a context (\"context\": m > 0);"
          + " for an unconditional flow use diagonal-normal");
    }
  }

  private static void validateGlow(int dim, int[] shape, Integer levels, int[] hidden, boolean actNorm, String mixing) {
    if (shape == null || shape.length != 3) {
      throw new IllegalArgumentException("glow needs \"shape\": [channels, height, width] of each event");
    }
    TensorShape t = new TensorShape(shape[0], shape[1], shape[2]);
    if (t.size() != dim) {
      throw new IllegalArgumentException("shape " + t + " has " + t.size() + " values but dim is " + dim);
    }
    int l = levels == null ? 1 : levels;
    if (l < 1 || l > 16) {
      throw new IllegalArgumentException("levels must be between 1 and 16, got " + l);
    }
    if (shape[1] % (1 << l) != 0 || shape[2] % (1 << l) != 0) {
      throw new IllegalArgumentException("with " + l + " levels, height and width must be multiples of " + (1 << l)
          + " (one squeeze halves them per level); the shape is " + t);
    }
    if (hidden.length < 1) {
      throw new IllegalArgumentException("glow's convolutional conditioner needs at least one hidden layer");
    }
    if (actNorm || !mixing.equals("none")) {
      throw new IllegalArgumentException("glow has ActNorm and the invertible 1x1 convolution built into every step:"
          + " leave actNorm and mixing unset");
    }
  }

  /** The event shape of a glow spec. */
  public java.util.Optional<TensorShape> tensorShape() {
    return shape == null ? java.util.Optional.empty()
        : java.util.Optional.of(new TensorShape(shape[0], shape[1], shape[2]));
  }

  @Override
  public int[] shape() {
    return shape == null ? null : shape.clone();
  }

  /**
   * A Glow spec for {@code C x H x W} events: {@code levels} levels of {@code steps} steps (ActNorm,
   * invertible 1 x 1 convolution, affine coupling with a convolutional conditioner of {@code hidden}
   * channels), a squeeze before each level and a multi-scale split after each but the last.
   */
  public static FlowSpec glow(TensorShape shape, int levels, int steps, int... hidden) {
    return new FlowSpec(GLOW, shape.size(), steps, hidden, null, null, null, null, null, null, null, null, null,
        new int[] {shape.channels(), shape.height(), shape.width()}, levels, null);
  }

  /** As the canonical constructor, without a conditioner bound (the form before it existed). */
  public FlowSpec(String family, int dim, Integer layers, int[] hidden, String activation, Double scaleBound,
                  Integer bins, Double splineBound, Boolean actNorm, String mixing, BaseSpec base,
                  Long structureSeed) {
    this(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, null, null, null, null);
  }

  /** As the canonical constructor, without a tensor shape (every family but glow). */
  public FlowSpec(String family, int dim, Integer layers, int[] hidden, String activation, Double scaleBound,
                  Integer bins, Double splineBound, Boolean actNorm, String mixing, BaseSpec base,
                  Long structureSeed, Double conditionerBound) {
    this(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, conditionerBound, null, null, null);
  }

  /** As the canonical constructor, without a context (an unconditional flow: the form before it existed). */
  public FlowSpec(String family, int dim, Integer layers, int[] hidden, String activation, Double scaleBound,
                  Integer bins, Double splineBound, Boolean actNorm, String mixing, BaseSpec base,
                  Long structureSeed, Double conditionerBound, int[] shape, Integer levels) {
    this(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, conditionerBound, shape, levels, null);
  }

  /** The number of context values per row the flow is conditioned on; 0 for an unconditional flow. */
  public int contextDim() {
    return context == null ? 0 : context;
  }

  /**
   * This spec conditioned on {@code m} context values per row (0: unconditional). The base is kept, so
   * {@code spec.withContext(m).withBase(BaseSpec.conditionalNormal())} also makes the base conditional.
   */
  public FlowSpec withContext(int m) {
    return new FlowSpec(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, conditionerBound, shape, levels, m);
  }

  /** The conditioner bound {@code b} of the autoregressive layers, 0 when there is none. */
  public double conditionerBoundOrZero() {
    return conditionerBound == null ? 0.0 : conditionerBound;
  }

  /** This spec with conditioner bound {@code b} (0: none). */
  public FlowSpec withConditionerBound(double b) {
    return new FlowSpec(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, b, shape, levels, context);
  }

  /** A spec with defaults for everything but the family and dimension. */
  public static FlowSpec of(String family, int dim) {
    return new FlowSpec(family, dim, null, null, null, null, null, null, null, null, null, null);
  }

  public FlowSpec withLayers(int n) {
    return new FlowSpec(family, dim, n, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, conditionerBound, shape, levels, context);
  }

  public FlowSpec withHidden(int... h) {
    return new FlowSpec(family, dim, layers, h, activation, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, conditionerBound, shape, levels, context);
  }

  public FlowSpec withBase(BaseSpec b) {
    return new FlowSpec(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, mixing, b,
        structureSeed, conditionerBound, shape, levels, context);
  }

  public FlowSpec withActNorm(boolean on) {
    return new FlowSpec(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, on, mixing, base,
        structureSeed, conditionerBound, shape, levels, context);
  }

  public FlowSpec withMixing(String m) {
    return new FlowSpec(family, dim, layers, hidden, activation, scaleBound, bins, splineBound, actNorm, m, base,
        structureSeed, conditionerBound, shape, levels, context);
  }

  public FlowSpec withActivation(String a) {
    return new FlowSpec(family, dim, layers, hidden, a, scaleBound, bins, splineBound, actNorm, mixing, base,
        structureSeed, conditionerBound, shape, levels, context);
  }

  public FlowSpec withSpline(int nBins, double bound) {
    return new FlowSpec(family, dim, layers, hidden, activation, scaleBound, nBins, bound, actNorm, mixing, base,
        structureSeed, conditionerBound, shape, levels, context);
  }

  static boolean isCoupling(String family) {
    return family.equals(REALNVP) || family.equals(NICE) || family.equals(SPLINE_COUPLING);
  }

  @Override
  public int[] hidden() {
    return hidden.clone();
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a spec; unknown fields and bad values fail with a message naming them. */
  public static FlowSpec fromJson(String json) {
    try {
      return JSON.readValue(json, FlowSpec.class);
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException("invalid flow spec: " + cause.getMessage(), e);
    } catch (com.fasterxml.jackson.core.JsonParseException e) {
      throw new IllegalArgumentException("invalid flow spec JSON: " + originalMessage(e), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid flow spec: " + originalMessage(e), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FlowSpec s && toJson().equals(s.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return toJson();
  }

  /** A Jackson error in the spec's terms: the field and what it should be, not Java class names. */
  private static String originalMessage(IOException e) {
    if (e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u) {
      List<String> known = new java.util.ArrayList<>();
      for (Object id : u.getKnownPropertyIds()) {
        known.add(String.valueOf(id));
      }
      java.util.Collections.sort(known);
      return "unknown field \"" + u.getPropertyName() + "\"; the fields are " + String.join(", ", known);
    }
    if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m && !m.getPath().isEmpty()) {
      StringBuilder field = new StringBuilder();
      for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : m.getPath()) {
        if (r.getFieldName() != null) {
          field.append(field.length() == 0 ? "" : ".").append(r.getFieldName());
        } else {
          field.append('[').append(r.getIndex()).append(']');
        }
      }
      return "field \"" + field + "\" must be " + kind(m.getTargetType());
    }
    return e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
  }

  private static String kind(Class<?> type) {
    if (type == null) {
      return "of another type";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Double.class || type == double.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type.isArray()) {
      return "an array of " + kind(type.getComponentType()).replaceFirst("^an? ", "") + "s";
    }
    return "a JSON object";
  }
}
