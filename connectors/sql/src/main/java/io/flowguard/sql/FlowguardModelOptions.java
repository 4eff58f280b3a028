package io.flowguard.sql;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * The {@code WITH} options of {@code CREATE MODEL ... WITH ('provider' = 'flowguard', ...)}.
 *
 * <p>SQL options use the short key that Flink's own model and table options use; each one that is
 * also a job setting names its job key here, so the two stay one setting spelled two ways:
 * {@code 'false-alarm-rate'} is the job's {@value #JOB_FALSE_ALARM_RATE_KEY}. When the WITH clause
 * leaves it out, the provider takes the job key from the session configuration
 * ({@code SET 'flowguard.scoring.false-alarm-rate' = '0.01';}), and then the default.
 */
public final class FlowguardModelOptions {

  /** The job's scoring option that {@link #FALSE_ALARM_RATE} spells for SQL. */
  public static final String JOB_FALSE_ALARM_RATE_KEY = "flowguard.scoring.false-alarm-rate";

  /** The default false-alarm rate (the job's default too). */
  public static final double DEFAULT_FALSE_ALARM_RATE = 0.001;

  public static final ConfigOption<String> PATH =
      ConfigOptions.key("path")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "A Flowguard model file (.fgm), or a directory of them, read through Flink's FileSystem "
                  + "(file://, s3://, hdfs://, ... or a plain local path). For a directory the newest "
                  + "valid model (highest version, then latest modification time) named 'model-name' "
                  + "is used; files starting with '.' or '_' are skipped.");

  public static final ConfigOption<String> MODEL_NAME =
      ConfigOptions.key("model-name")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "The name of the model to use (the name stored in the model file). Required when the "
                  + "directory holds models of several names; checked against the file otherwise.");

  public static final ConfigOption<Double> FALSE_ALARM_RATE =
      ConfigOptions.key("false-alarm-rate")
          .doubleType()
          .defaultValue(DEFAULT_FALSE_ALARM_RATE)
          .withDescription(
              "A row is an anomaly when its calibrated tail probability is below this rate, in (0, 1): "
                  + "about this share of normal rows is flagged. The job's "
                  + JOB_FALSE_ALARM_RATE_KEY + "; when absent here, that key of the session "
                  + "configuration is used if set.");

  public static final ConfigOption<Duration> REFRESH_INTERVAL =
      ConfigOptions.key("refresh-interval")
          .durationType()
          .noDefaultValue()
          .withDescription(
              "Re-read 'path' at this interval while the query runs and switch to a newer model (a "
                  + "changed file, or a newer version in the directory) whose features match the "
                  + "INPUT columns; others are refused with a WARN. Unset: the model chosen at "
                  + "planning time is used until the query is restarted.");

  private FlowguardModelOptions() {}
}
