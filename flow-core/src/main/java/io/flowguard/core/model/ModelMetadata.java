package io.flowguard.core.model;

import io.flowguard.core.context.ContextSpec;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flowguard.core.flow.FlowSpec;
import io.flowguard.core.model.ModelFormatException.Kind;
import io.flowguard.core.nn.ParamKind;
import io.flowguard.core.nn.ParameterLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON metadata section of a model file (schema in {@code docs/model-format.md}). Written and read
 * through Jackson's tree model rather than data binding, so that every field is checked explicitly and
 * a bad one is reported by its path (e.g. {@code calibration.tail.sigma}). Fields this reader does not
 * know are ignored: a format version may gain fields without breaking older readers.
 */
record ModelMetadata(String name, int version, FlowSpec spec, Preprocessor preprocessor, Calibration calibration,
                     Provenance provenance, long parameterCount, List<ParameterLayout.Block> blocks,
                     java.util.OptionalDouble recommendedFalseAlarmRate,
                     java.util.Optional<FeatureStatistics> featureStatistics,
                     java.util.Optional<ContextSpec> context) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  // -------------------------------------------------------------------------------------------- encode

  static byte[] encode(FlowModel model) {
    ObjectNode root = NODES.objectNode();
    root.put("name", model.name());
    root.put("version", model.version());
    try {
      root.set("spec", JSON.readTree(model.spec().toJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("FlowSpec.toJson produced invalid JSON", e);
    }
    root.set("preprocessor", preprocessor(model.preprocessor()));
    root.set("calibration", calibration(model.calibration()));
    root.set("provenance", provenance(model.provenance()));
    // Version 4, optional: absent means no recommendation (the scorer's configured rate applies).
    model.recommendedFalseAlarmRate().ifPresent(r -> root.put("recommendedFalseAlarmRate", r));
    // Version 4, optional: absent means what it meant before (no training ranges known).
    model.featureStatistics().ifPresent(st -> root.set("featureStatistics", featureStatistics(st)));
    // Version 5, optional: absent means an unconditional model that scores every event alone.
    model.context().ifPresent(c -> root.set("context", JSON.valueToTree(c)));
    ObjectNode params = root.putObject("parameters");
    params.put("count", model.flow().parameters().length);
    ArrayNode blocks = params.putArray("blocks");
    for (ParameterLayout.Block b : model.flow().layout().blocks()) {
      ObjectNode o = blocks.addObject();
      o.put("name", b.name());
      o.put("offset", b.offset());
      o.put("size", b.size());
      o.put("kind", b.kind().name());
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode model metadata", e);
    }
  }

  private static ObjectNode preprocessor(Preprocessor p) {
    ObjectNode o = NODES.objectNode();
    ArrayNode features = o.putArray("features");
    for (Preprocessor.Feature f : p.features()) {
      ObjectNode n = features.addObject();
      n.put("name", f.name());
      n.put("kept", f.kept());
      n.put("mean", f.mean());
      n.put("std", f.std());
      // Version 2 fields, written only where they apply: a plain column reads the same as in version 1.
      if (f.cell() > 0) {
        n.put("cell", f.cell());
      }
      // Optional atoms of a column dequantized over Voronoi cells; readers before it ignore the field,
      // which only training uses (the score is the density at the observed value either way).
      if (f.atomic()) {
        ArrayNode atoms = n.putArray("atoms");
        for (double v : f.atoms()) {
          atoms.add(v);
        }
      }
      // Version 4: the categorical distribution of a column modelled apart (absent: not scored, as before).
      if (f.apart()) {
        ObjectNode c = n.putObject("categories");
        ArrayNode values = c.putArray("values");
        ArrayNode counts = c.putArray("counts");
        for (int j = 0; j < f.categories().values().size(); j++) {
          values.add(f.categories().values().get(j));
          counts.add(f.categories().counts().get(j));
        }
      }
      if (f.tailTransformed()) {
        ObjectNode t = n.putObject("transform");
        t.put("kind", "asinh");
        t.put("center", f.tailCenter());
        t.put("scale", f.tailScale());
      }
    }
    return o;
  }

  private static ObjectNode featureStatistics(FeatureStatistics st) {
    ObjectNode o = NODES.objectNode();
    o.put("rows", st.rows());
    ArrayNode arr = o.putArray("features");
    for (FeatureStatistics.Range r : st.features()) {
      ObjectNode n = arr.addObject();
      n.put("min", r.min());
      n.put("max", r.max());
      n.put("mean", r.mean());
      n.put("sd", r.sd());
    }
    return o;
  }

  private static ObjectNode calibration(Calibration c) {
    ObjectNode o = NODES.objectNode();
    o.put("entropy", c.entropy());
    o.put("count", c.count());
    ArrayNode q = o.putArray("quantiles");
    for (double v : c.quantiles()) {
      q.add(v);
    }
    Calibration.Tail t = c.tail();
    ObjectNode tail = o.putObject("tail");
    tail.put("kind", t.kind().name().toLowerCase(Locale.ROOT));
    tail.put("threshold", t.threshold());
    tail.put("probability", t.probability());
    tail.put("xi", t.xi());
    tail.put("sigma", t.sigma());
    tail.put("exceedances", t.exceedances());
    ObjectNode typ = o.putObject("typicality");
    typ.put("bootstrap", c.typicality().bootstrap());
    typ.put("seed", c.typicality().seed());
    ArrayNode th = typ.putArray("thresholds");
    for (Calibration.TypicalityThreshold e : c.typicality().thresholds()) {
      ObjectNode n = th.addObject();
      n.put("window", e.window());
      n.put("alpha", e.alpha());
      n.put("epsilon", e.epsilon());
    }
    return o;
  }

  private static ObjectNode provenance(Provenance p) {
    ObjectNode o = NODES.objectNode();
    o.put("spec", p.spec());
    o.set("trainingConfig", JSON.valueToTree(p.trainingConfig()));
    o.put("seed", p.seed());
    o.put("dataSha256", p.dataSha256());
    o.put("trainingRows", p.trainingRows());
    ObjectNode m = o.putObject("metrics");
    putMaybe(m, "trainNll", p.metrics().trainNll());
    putMaybe(m, "validationNll", p.metrics().validationNll());
    m.put("steps", p.metrics().steps());
    m.put("seconds", p.metrics().seconds());
    if (!p.metrics().curve().isEmpty()) {
      var curve = m.putArray("curve");
      for (Provenance.CurvePoint c : p.metrics().curve()) {
        var point = curve.addArray();
        point.add(c.step());
        addMaybe(point, c.trainNll());
        addMaybe(point, c.validationNll());
      }
    }
    o.put("createdAt", p.createdAt());
    o.put("flowguardVersion", p.flowguardVersion());
    o.put("formatVersion", ModelFormat.FORMAT_VERSION);
    p.lineage().ifPresent(l -> o.set("lineage", lineage(l)));
    return o;
  }

  private static ObjectNode lineage(Lineage l) {
    ObjectNode o = NODES.objectNode();
    putMaybe(o, "parentVersion", l.parentVersion());
    o.put("trigger", l.trigger().code());
    o.put("data", l.data());
    o.put("dataRows", l.dataRows());
    putMaybe(o, "rollbackOf", l.rollbackOf());
    putMaybe(o, "heldOutNll", l.heldOutNll());
    putMaybe(o, "parentHeldOutNll", l.parentHeldOutNll());
    if (l.schemaChange()) {
      o.put("schemaChange", true); // format version 4; absent means false
    }
    return o;
  }

  private static void putMaybe(ObjectNode o, String field, java.util.OptionalInt v) {
    if (v.isPresent()) {
      o.put(field, v.getAsInt());
    } else {
      o.putNull(field);
    }
  }

  /** NaN ("no value") becomes JSON null: JSON has no NaN. */
  private static void addMaybe(com.fasterxml.jackson.databind.node.ArrayNode a, double v) {
    if (Double.isNaN(v)) {
      a.addNull();
    } else {
      a.add(v);
    }
  }

  /** The optional learning curve: [[step, trainNll|null, validationNll|null], ...]; absent means none. */
  private static java.util.List<Provenance.CurvePoint> curve(JsonNode m) throws ModelFormatException {
    JsonNode c = m.get("curve");
    java.util.List<Provenance.CurvePoint> out = new java.util.ArrayList<>();
    if (c == null || c.isNull()) {
      return out;
    }
    if (!c.isArray() || c.size() > 1_000_000) {
      throw corrupt("provenance.metrics.curve: expected an array of [step, trainNll, validationNll]", null);
    }
    for (JsonNode p : c) {
      if (!p.isArray() || p.size() != 3 || !p.get(0).canConvertToLong()) {
        throw corrupt("provenance.metrics.curve: expected [step, trainNll, validationNll] points", null);
      }
      out.add(new Provenance.CurvePoint(p.get(0).asLong(), nanIfNull(p.get(1)), nanIfNull(p.get(2))));
    }
    return out;
  }

  private static double nanIfNull(JsonNode v) throws ModelFormatException {
    if (v.isNull()) {
      return Double.NaN;
    }
    if (!v.isNumber()) {
      throw corrupt("provenance.metrics.curve: values must be numbers or null", null);
    }
    return v.asDouble();
  }

  private static void putMaybe(ObjectNode o, String field, double v) {
    if (Double.isNaN(v)) {
      o.putNull(field);
    } else {
      o.put(field, v);
    }
  }

  // -------------------------------------------------------------------------------------------- decode

  static ModelMetadata decode(byte[] b, int offset, int length, int formatVersion) throws ModelFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(b, offset, length);
    } catch (IOException e) {
      throw corrupt("the metadata is not valid UTF-8 JSON (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw corrupt("the metadata is not a JSON object", null);
    }
    String name = text(root, "name", "name");
    int version = integer(root, "version", "version");
    FlowSpec spec;
    JsonNode specNode = object(root, "spec", "spec");
    try {
      spec = FlowSpec.fromJson(specNode.toString());
    } catch (RuntimeException e) {
      // FlowSpec reports bad specs as IllegalArgumentException; anything else from a hostile spec is
      // equally a property of the file, never a crash of the reader.
      throw corrupt("spec: " + e.getMessage(), e);
    }
    if (formatVersion < 3 && spec.conditionerBound() != null) {
      // A version 1 or 2 reader rejects the unknown spec field, so such a file was never valid.
      throw corrupt("spec.conditionerBound is a version 3 field but the file declares format version "
          + formatVersion, null);
    }
    if (formatVersion < 5 && spec.context() != null) {
      // A version 4 reader rejects the unknown spec field, so such a file was never valid.
      throw corrupt("spec.context is a version 5 field but the file declares format version " + formatVersion, null);
    }
    if (formatVersion < 4 && spec.shape() != null) {
      // A version 3 reader rejects the unknown spec fields (and the glow family), so such a file was never valid.
      throw corrupt("spec.shape (family glow) is a version 4 field but the file declares format version "
          + formatVersion, null);
    }
    Preprocessor pre = readPreprocessor(object(root, "preprocessor", "preprocessor"), formatVersion);
    Calibration cal = readCalibration(object(root, "calibration", "calibration"));
    Provenance prov = readProvenance(object(root, "provenance", "provenance"));
    JsonNode params = object(root, "parameters", "parameters");
    long count = longValue(params, "count", "parameters.count");
    JsonNode blocksNode = array(params, "blocks", "parameters.blocks");
    if (blocksNode.size() > ModelFormat.MAX_LAYOUT_BLOCKS) {
      throw new ModelFormatException(Kind.TOO_LARGE, "the layout lists " + blocksNode.size()
          + " parameter blocks; at most " + ModelFormat.MAX_LAYOUT_BLOCKS + " are allowed");
    }
    List<ParameterLayout.Block> blocks = new ArrayList<>(blocksNode.size());
    for (int i = 0; i < blocksNode.size(); i++) {
      String path = "parameters.blocks[" + i + "]";
      JsonNode n = element(blocksNode, i, path);
      String kindName = text(n, "kind", path + ".kind");
      ParamKind kind;
      try {
        kind = ParamKind.valueOf(kindName);
      } catch (IllegalArgumentException e) {
        throw corrupt(path + ".kind: unknown parameter kind '" + kindName + "'", e);
      }
      blocks.add(new ParameterLayout.Block(text(n, "name", path + ".name"), integer(n, "offset", path + ".offset"),
          integer(n, "size", path + ".size"), kind));
    }
    java.util.OptionalDouble rate = java.util.OptionalDouble.empty();
    if (formatVersion >= 4 && root.has("recommendedFalseAlarmRate")) {
      double r = number(root, "recommendedFalseAlarmRate", "recommendedFalseAlarmRate");
      if (!(r > 0 && r < 1)) {
        throw corrupt("recommendedFalseAlarmRate must be in (0, 1), got " + r, null);
      }
      rate = java.util.OptionalDouble.of(r);
    }
    java.util.Optional<FeatureStatistics> stats = readFeatureStatistics(root, formatVersion, pre.rawDim());
    java.util.Optional<ContextSpec> context = readContext(root, formatVersion);
    int contextDim = context.map(c -> c.dim(pre.dim())).orElse(0);
    if ((spec.context() == null ? 0 : spec.context()) != contextDim) {
      throw corrupt("the spec reads a context of " + (spec.context() == null ? 0 : spec.context())
          + " values but the model's context " + context.map(ContextSpec::describe).orElse("(none)") + " has "
          + contextDim, null);
    }
    return new ModelMetadata(name, version, spec, pre, cal, prov, count, List.copyOf(blocks), rate, stats, context);
  }

  /** The optional version 5 {@code context}: absent (or null) means an unconditional model. */
  private static java.util.Optional<ContextSpec> readContext(JsonNode root, int formatVersion)
      throws ModelFormatException {
    JsonNode o = root.get("context");
    if (formatVersion < 5 || o == null || o.isNull()) {
      return java.util.Optional.empty();
    }
    if (!o.isObject()) {
      throw corrupt("context must be a JSON object", null);
    }
    int window = integer(o, "window", "context.window");
    JsonNode time = o.get("timeFeatures");
    if (time != null && !time.isBoolean()) {
      throw corrupt("context.timeFeatures must be true or false", null);
    }
    List<String> fields = new ArrayList<>();
    JsonNode f = o.get("fields");
    if (f != null && !f.isNull()) {
      if (!f.isArray()) {
        throw corrupt("context.fields must be an array of names", null);
      }
      for (int i = 0; i < f.size(); i++) {
        JsonNode name = f.get(i);
        if (name == null || !name.isTextual()) {
          throw corrupt("context.fields[" + i + "] must be a string", null);
        }
        fields.add(name.textValue());
      }
    }
    Long gap = o.hasNonNull("maxGapMillis") ? longValue(o, "maxGapMillis", "context.maxGapMillis") : null;
    Long late = o.hasNonNull("maxOutOfOrdernessMillis")
        ? longValue(o, "maxOutOfOrdernessMillis", "context.maxOutOfOrdernessMillis") : null;
    try {
      return java.util.Optional.of(new ContextSpec(window, time != null && time.asBoolean(), fields, gap, late));
    } catch (IllegalArgumentException e) {
      throw corrupt("context: " + e.getMessage(), e);
    }
  }

  /**
   * The optional version 4 {@code featureStatistics}: absent (or null) means none; read only from files of
   * version 4 or later, so older files load exactly as they were written.
   */
  private static java.util.Optional<FeatureStatistics> readFeatureStatistics(JsonNode root, int formatVersion,
                                                                             int rawDim) throws ModelFormatException {
    JsonNode o = root.get("featureStatistics");
    if (formatVersion < 4 || o == null || o.isNull()) {
      return java.util.Optional.empty();
    }
    if (!o.isObject()) {
      throw corrupt("featureStatistics must be a JSON object", null);
    }
    long rows = longValue(o, "rows", "featureStatistics.rows");
    JsonNode arr = array(o, "features", "featureStatistics.features");
    if (arr.size() != rawDim) {
      throw corrupt("featureStatistics.features has " + arr.size() + " entries but the preprocessor has " + rawDim
          + " features", null);
    }
    List<FeatureStatistics.Range> ranges = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      String path = "featureStatistics.features[" + i + "]";
      JsonNode n = element(arr, i, path);
      try {
        ranges.add(new FeatureStatistics.Range(number(n, "min", path + ".min"), number(n, "max", path + ".max"),
            number(n, "mean", path + ".mean"), number(n, "sd", path + ".sd")));
      } catch (IllegalArgumentException e) {
        throw corrupt(path + ": " + e.getMessage(), e);
      }
    }
    try {
      return java.util.Optional.of(new FeatureStatistics(rows, ranges));
    } catch (IllegalArgumentException e) {
      throw corrupt("featureStatistics: " + e.getMessage(), e);
    }
  }

  private static Preprocessor readPreprocessor(JsonNode o, int formatVersion) throws ModelFormatException {
    JsonNode arr = array(o, "features", "preprocessor.features");
    List<Preprocessor.Feature> features = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      String path = "preprocessor.features[" + i + "]";
      JsonNode n = element(arr, i, path);
      double cell = 0.0;
      double center = 0.0;
      double scale = 0.0;
      List<Double> atoms = new ArrayList<>();
      // Version 1 defines no cell or transform: a version 1 file is read as it was written, even if a
      // tool added such fields to it (a version 1 reader would have ignored them).
      if (formatVersion >= 2) {
        if (n.has("cell")) {
          cell = number(n, "cell", path + ".cell");
          if (!(cell > 0)) {
            throw corrupt(path + ".cell must be positive (absent for a continuous column), got " + cell, null);
          }
        }
        if (n.has("atoms")) {
          JsonNode at = array(n, "atoms", path + ".atoms");
          for (int j = 0; j < at.size(); j++) {
            JsonNode e = at.get(j);
            if (!e.isNumber()) {
              throw corrupt(path + ".atoms[" + j + "] must be a number, got " + e, null);
            }
            atoms.add(e.doubleValue());
          }
        }
        if (n.has("transform")) {
          JsonNode t = object(n, "transform", path + ".transform");
          String kind = text(t, "kind", path + ".transform.kind");
          if (!kind.equals("asinh")) {
            throw corrupt(path + ".transform.kind: unknown marginal transform '" + kind + "' (this Flowguard"
                + " knows asinh)", null);
          }
          center = number(t, "center", path + ".transform.center");
          scale = number(t, "scale", path + ".transform.scale");
          if (!(scale > 0)) {
            throw corrupt(path + ".transform.scale must be positive, got " + scale, null);
          }
        }
      }
      Preprocessor.Categories categories = Preprocessor.Categories.NONE;
      if (formatVersion >= 4 && n.has("categories")) {
        categories = readCategories(object(n, "categories", path + ".categories"), path + ".categories");
      }
      try {
        features.add(new Preprocessor.Feature(text(n, "name", path + ".name"), bool(n, "kept", path + ".kept"),
            number(n, "mean", path + ".mean"), number(n, "std", path + ".std"), cell, center, scale, atoms,
            categories));
      } catch (IllegalArgumentException e) {
        throw corrupt(path + ": " + e.getMessage(), e);
      }
    }
    try {
      return new Preprocessor(features);
    } catch (IllegalArgumentException e) {
      throw corrupt("preprocessor: " + e.getMessage(), e);
    }
  }

  private static Preprocessor.Categories readCategories(JsonNode o, String path) throws ModelFormatException {
    JsonNode values = array(o, "values", path + ".values");
    JsonNode counts = array(o, "counts", path + ".counts");
    if (values.size() != counts.size() || values.size() == 0
        || values.size() > Preprocessor.Categories.MAX_LEVELS) {
      throw corrupt(path + ": values and counts must pair up, 1 to " + Preprocessor.Categories.MAX_LEVELS
          + " of them, got " + values.size() + " and " + counts.size(), null);
    }
    List<Double> v = new ArrayList<>(values.size());
    List<Long> c = new ArrayList<>(values.size());
    for (int j = 0; j < values.size(); j++) {
      if (!values.get(j).isNumber() || !counts.get(j).canConvertToLong() || !counts.get(j).isIntegralNumber()) {
        throw corrupt(path + "[" + j + "]: values must be numbers and counts integers", null);
      }
      v.add(values.get(j).doubleValue());
      c.add(counts.get(j).longValue());
    }
    try {
      return new Preprocessor.Categories(v, c);
    } catch (IllegalArgumentException e) {
      throw corrupt(path + ": " + e.getMessage(), e);
    }
  }

  private static Calibration readCalibration(JsonNode o) throws ModelFormatException {
    double entropy = number(o, "entropy", "calibration.entropy");
    long count = longValue(o, "count", "calibration.count");
    JsonNode q = array(o, "quantiles", "calibration.quantiles");
    if (q.size() > Calibration.MAX_QUANTILES) {
      throw corrupt("calibration.quantiles has " + q.size() + " entries; at most " + Calibration.MAX_QUANTILES, null);
    }
    double[] quantiles = new double[q.size()];
    for (int i = 0; i < quantiles.length; i++) {
      JsonNode v = q.get(i);
      if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
        throw corrupt("calibration.quantiles[" + i + "] must be a finite number, got " + v, null);
      }
      quantiles[i] = v.doubleValue();
    }
    JsonNode t = object(o, "tail", "calibration.tail");
    String kindName = text(t, "kind", "calibration.tail.kind");
    Calibration.TailKind kind;
    try {
      kind = Calibration.TailKind.valueOf(kindName.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw corrupt("calibration.tail.kind: unknown tail kind '" + kindName + "'", e);
    }
    JsonNode typ = object(o, "typicality", "calibration.typicality");
    JsonNode th = array(typ, "thresholds", "calibration.typicality.thresholds");
    try {
      Calibration.Tail tail = new Calibration.Tail(kind, number(t, "threshold", "calibration.tail.threshold"),
          number(t, "probability", "calibration.tail.probability"), number(t, "xi", "calibration.tail.xi"),
          number(t, "sigma", "calibration.tail.sigma"), integer(t, "exceedances", "calibration.tail.exceedances"));
      List<Calibration.TypicalityThreshold> thresholds = new ArrayList<>();
      for (int i = 0; i < th.size(); i++) {
        String path = "calibration.typicality.thresholds[" + i + "]";
        JsonNode n = element(th, i, path);
        thresholds.add(new Calibration.TypicalityThreshold(integer(n, "window", path + ".window"),
            number(n, "alpha", path + ".alpha"), number(n, "epsilon", path + ".epsilon")));
      }
      Calibration.Typicality typicality = new Calibration.Typicality(
          integer(typ, "bootstrap", "calibration.typicality.bootstrap"),
          longValue(typ, "seed", "calibration.typicality.seed"), thresholds);
      return new Calibration(entropy, count, quantiles, tail, typicality);
    } catch (IllegalArgumentException e) {
      throw corrupt("calibration: " + e.getMessage(), e);
    }
  }

  private static Provenance readProvenance(JsonNode o) throws ModelFormatException {
    JsonNode cfg = object(o, "trainingConfig", "provenance.trainingConfig");
    Map<String, Object> config;
    try {
      config = JSON.convertValue(cfg, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (IllegalArgumentException e) {
      throw corrupt("provenance.trainingConfig: " + e.getMessage(), e);
    }
    JsonNode m = object(o, "metrics", "provenance.metrics");
    try {
      Provenance.TrainingMetrics metrics = new Provenance.TrainingMetrics(
          numberOrNaN(m, "trainNll", "provenance.metrics.trainNll"),
          numberOrNaN(m, "validationNll", "provenance.metrics.validationNll"),
          longValue(m, "steps", "provenance.metrics.steps"), number(m, "seconds", "provenance.metrics.seconds"),
          curve(m));
      return new Provenance(text(o, "spec", "provenance.spec"), config, longValue(o, "seed", "provenance.seed"),
          text(o, "dataSha256", "provenance.dataSha256"), longValue(o, "trainingRows", "provenance.trainingRows"),
          metrics, text(o, "createdAt", "provenance.createdAt"),
          text(o, "flowguardVersion", "provenance.flowguardVersion"),
          integer(o, "formatVersion", "provenance.formatVersion"), readLineage(o));
    } catch (IllegalArgumentException e) {
      throw corrupt("provenance: " + e.getMessage(), e);
    }
  }

  /** The optional {@code provenance.lineage}: absent (or null) in files written before lineage existed. */
  private static java.util.Optional<Lineage> readLineage(JsonNode provenance) throws ModelFormatException {
    JsonNode l = provenance.get("lineage");
    if (l == null || l.isNull()) {
      return java.util.Optional.empty();
    }
    if (!l.isObject()) {
      throw corrupt("provenance.lineage must be a JSON object", null);
    }
    Lineage.Trigger trigger;
    String code = text(l, "trigger", "provenance.lineage.trigger");
    try {
      trigger = Lineage.Trigger.ofCode(code);
    } catch (IllegalArgumentException e) {
      throw corrupt("provenance.lineage.trigger: " + e.getMessage(), e);
    }
    try {
      return java.util.Optional.of(new Lineage(optionalInt(l, "parentVersion", "provenance.lineage.parentVersion"),
          trigger, text(l, "data", "provenance.lineage.data"),
          longValue(l, "dataRows", "provenance.lineage.dataRows"),
          optionalInt(l, "rollbackOf", "provenance.lineage.rollbackOf"),
          l.has("heldOutNll") ? numberOrNaN(l, "heldOutNll", "provenance.lineage.heldOutNll") : Double.NaN,
          l.has("parentHeldOutNll")
              ? numberOrNaN(l, "parentHeldOutNll", "provenance.lineage.parentHeldOutNll") : Double.NaN,
          // Version 4: a declared schema change. Readers of older versions ignored the unknown field,
          // so in an older file it means nothing, as it meant nothing to them.
          l.hasNonNull("schemaChange") && provenance.path("formatVersion").asInt() >= 4
              && bool(l, "schemaChange", "provenance.lineage.schemaChange")));
    } catch (IllegalArgumentException e) {
      throw corrupt("provenance.lineage: " + e.getMessage(), e);
    }
  }

  /** A 32-bit integer, or empty for JSON null or an absent field. */
  private static java.util.OptionalInt optionalInt(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = o.get(name);
    if (v == null || v.isNull()) {
      return java.util.OptionalInt.empty();
    }
    return java.util.OptionalInt.of(integer(o, name, path));
  }

  // ---------------------------------------------------------------------------------- field helpers

  private static JsonNode field(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = o.get(name);
    if (v == null || v.isNull()) {
      throw corrupt(path + " is missing", null);
    }
    return v;
  }

  private static JsonNode object(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isObject()) {
      throw corrupt(path + " must be a JSON object", null);
    }
    return v;
  }

  private static JsonNode array(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isArray()) {
      throw corrupt(path + " must be a JSON array", null);
    }
    return v;
  }

  private static JsonNode element(JsonNode arr, int i, String path) throws ModelFormatException {
    JsonNode v = arr.get(i);
    if (v == null || !v.isObject()) {
      throw corrupt(path + " must be a JSON object", null);
    }
    return v;
  }

  private static String text(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isTextual()) {
      throw corrupt(path + " must be a string", null);
    }
    return v.textValue();
  }

  private static boolean bool(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isBoolean()) {
      throw corrupt(path + " must be true or false", null);
    }
    return v.booleanValue();
  }

  private static double number(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
      throw corrupt(path + " must be a finite number, got " + v, null);
    }
    return v.doubleValue();
  }

  /** A number, or NaN for JSON null (how a missing metric is written). */
  private static double numberOrNaN(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = o.get(name);
    if (v != null && v.isNull()) {
      return Double.NaN;
    }
    return number(o, name, path);
  }

  private static long longValue(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw corrupt(path + " must be an integer, got " + v, null);
    }
    return v.longValue();
  }

  private static int integer(JsonNode o, String name, String path) throws ModelFormatException {
    JsonNode v = field(o, name, path);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw corrupt(path + " must be a 32-bit integer, got " + v, null);
    }
    return v.intValue();
  }

  private static ModelFormatException corrupt(String message, Throwable cause) {
    return new ModelFormatException(Kind.CORRUPT_METADATA, message
        + "; the metadata does not describe a valid model. Was it edited by hand or written by another tool?", cause);
  }
}
