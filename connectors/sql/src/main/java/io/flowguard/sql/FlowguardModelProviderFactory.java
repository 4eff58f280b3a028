package io.flowguard.sql;

import io.flowguard.sql.ModelLocator.Located;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

/**
 * The {@code 'provider' = 'flowguard'} model provider for Flink SQL's {@code ML_PREDICT}, found by
 * Flink's factory discovery ({@code META-INF/services/org.apache.flink.table.factories.Factory}).
 *
 * <pre>{@code
 * CREATE MODEL detector
 *   INPUT (temp DOUBLE, pressure DOUBLE)
 *   OUTPUT (log_density DOUBLE, nll DOUBLE, tail_probability DOUBLE, anomaly BOOLEAN, reason STRING)
 *   WITH ('provider' = 'flowguard', 'path' = 'file:///models/pump.fgm', 'false-alarm-rate' = '0.001');
 * SELECT * FROM ML_PREDICT(TABLE events, MODEL detector, DESCRIPTOR(temp, pressure));
 * }</pre>
 *
 * <p>At planning time the model is read and checked against the statement (see {@link ModelBinding});
 * a missing or corrupt model, INPUT columns that are not the model's features, and unknown OUTPUT
 * columns fail the query before it runs, with both sides named. Options: {@link FlowguardModelOptions}.
 */
public final class FlowguardModelProviderFactory implements ModelProviderFactory {

  /** The value of {@code 'provider'}. */
  public static final String IDENTIFIER = "flowguard";

  private static final ConfigOption<Double> JOB_FALSE_ALARM_RATE =
      ConfigOptions.key(FlowguardModelOptions.JOB_FALSE_ALARM_RATE_KEY).doubleType().noDefaultValue();

  @Override
  public String factoryIdentifier() {
    return IDENTIFIER;
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(FlowguardModelOptions.PATH);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(
        FlowguardModelOptions.MODEL_NAME,
        FlowguardModelOptions.FALSE_ALARM_RATE,
        FlowguardModelOptions.REFRESH_INTERVAL);
  }

  @Override
  public ModelProvider createModelProvider(Context context) {
    FactoryUtil.ModelProviderFactoryHelper helper =
        FactoryUtil.createModelProviderFactoryHelper(this, context);
    helper.validate();
    ReadableConfig options = helper.getOptions();
    String sqlModel = context.getObjectIdentifier().asSummaryString();
    String path = options.get(FlowguardModelOptions.PATH);
    Optional<String> modelName = options.getOptional(FlowguardModelOptions.MODEL_NAME);

    double rate = options.getOptional(FlowguardModelOptions.FALSE_ALARM_RATE)
        .or(() -> context.getConfiguration().getOptional(JOB_FALSE_ALARM_RATE))
        .orElse(FlowguardModelOptions.DEFAULT_FALSE_ALARM_RATE);
    if (!(rate > 0 && rate < 1)) {
      throw new ValidationException(String.format(
          "CREATE MODEL %s: 'false-alarm-rate' must be in (0, 1), got %s (e.g. '0.001': about one "
              + "normal row in a thousand is flagged)", sqlModel, rate));
    }
    long refreshMillis = options.getOptional(FlowguardModelOptions.REFRESH_INTERVAL)
        .map(Duration::toMillis).orElse(0L);
    if (options.getOptional(FlowguardModelOptions.REFRESH_INTERVAL).isPresent() && refreshMillis <= 0) {
      throw new ValidationException("CREATE MODEL " + sqlModel
          + ": 'refresh-interval' must be positive (e.g. '1 min'); leave it out for no refresh");
    }

    Located located;
    try {
      located = ModelLocator.locate(path, modelName);
    } catch (IOException | RuntimeException e) {
      throw new ValidationException(String.format(
          "CREATE MODEL %s ('path' = '%s'): cannot use the Flowguard model: %s. Check 'path' (a .fgm "
              + "file or a directory of them, readable by Flink's FileSystem) and 'model-name'.",
          sqlModel, path, e.getMessage()), e);
    }

    ResolvedCatalogModel model = context.getCatalogModel();
    ModelBinding binding = ModelBinding.bind(sqlModel, model.getResolvedInputSchema(),
        model.getResolvedOutputSchema(), located.model(), located.source());
    return new FlowguardModelProvider(new FlowguardPredictFunction.Plan(
        binding, located.bytes(), located.source(), rate, path, modelName.orElse(null), refreshMillis));
  }
}
