package io.flowguard.job.bench;

import io.flowguard.connectors.kafka.EmbeddedKafka;
import io.flowguard.connectors.model.ModelHistory;
import io.flowguard.connectors.model.ModelTopic;
import io.flowguard.core.cli.FlowguardCli;
import io.flowguard.core.data.Dataset;
import io.flowguard.core.model.FlowModel;
import io.flowguard.core.model.ModelFormat;
import io.flowguard.core.model.ModelTrainer;
import io.flowguard.core.train.TrainingListener;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Wall time of {@code flowguard retrain} on this machine, on demo-like data: a champion like the demo's
 * (the default model, AutoConfig, trained on 3 000 normal rows of the bundled Statlog Shuttle sample,
 * d = 9) and a window of N events (default 20 000) drawn with replacement from the sample's normal rows,
 * on an embedded broker. Each repetition publishes the champion to a fresh model topic and runs the
 * command in-process ({@code --publish}); prints each wall time, the median, the decision, and the
 * sizes of the model file and of a history record.
 *
 * <pre>
 *   java -cp flink-job/target/flowguard-demo.jar io.flowguard.job.bench.RetrainBench [events] [repetitions]
 * </pre>
 */
public final class RetrainBench {

  private static final String RESOURCE = "/io/flowguard/job/demo/shuttle-sample.csv";

  private RetrainBench() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    List<String> features = new ArrayList<>();
    List<double[]> normal = normalRows(features);
    int d = features.size();
    int trainRows = 3000;
    double[] x = new double[trainRows * d];
    for (int i = 0; i < trainRows; i++) {
      System.arraycopy(normal.get(i), 0, x, i * d, d);
    }
    long t0 = System.nanoTime();
    Dataset sample = new Dataset("shuttle", features, x, trainRows);
    FlowModel champion = ModelTrainer.train(sample, ModelTrainer.Options.automatic("default", 1, sample, 0L, 0.2),
        TrainingListener.NONE).model();
    byte[] championBytes = ModelFormat.toBytes(champion);
    System.out.printf(Locale.ROOT, "champion: default v1, %s, trained on %d rows in %.1f s, %d bytes%n",
        champion.spec().family(), trainRows, (System.nanoTime() - t0) / 1e9, championBytes.length);

    try (EmbeddedKafka kafka = new EmbeddedKafka().start()) {
      Properties props = kafka.clientProperties();
      String topic = "bench-events";
      kafka.createTopic(topic, 2, false);
      produce(props, topic, features, normal, events);
      System.out.printf("window: %d events of %d features on %s%n", events, d, topic);
      double[] seconds = new double[repetitions];
      for (int r = 0; r < repetitions; r++) {
        String modelTopic = "bench-models-" + r;
        ModelHistory.publish(props, modelTopic, championBytes);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long start = System.nanoTime();
        int code = FlowguardCli.run(new String[] {"retrain", "--bootstrap-servers", kafka.bootstrapServers(),
            "--topic", topic, "--since", "PT1H", "--model", "default", "--model-topic", modelTopic, "--publish",
            "--seed", Integer.toString(r)}, new PrintWriter(out, true), new PrintWriter(err, true));
        seconds[r] = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "run %d: exit %d in %.1f s: %s%n", r, code, seconds[r], out.toString().strip()
            .lines().findFirst().orElse(err.toString().strip()));
        if (code == 0 && r == repetitions - 1) {
          byte[] published = ModelTopic.current(props, modelTopic, "default").orElseThrow().bytes();
          String key = ModelHistory.key("default", 2);
          System.out.printf("model file: %d bytes; history record: key %d bytes + value %d bytes%n", published.length,
              key.getBytes(StandardCharsets.UTF_8).length, published.length);
        }
      }
      double[] sorted = seconds.clone();
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "flowguard retrain on %d events: median %.1f s over %d runs %s%n", events,
          sorted[repetitions / 2], repetitions, Arrays.toString(seconds));
    }
  }

  private static List<double[]> normalRows(List<String> features) throws Exception {
    List<double[]> normal = new ArrayList<>();
    try (InputStream in = RetrainBench.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<String> header = Arrays.asList(r.readLine().split(","));
      int label = header.indexOf("label");
      features.addAll(header.subList(0, label));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String[] cells = line.split(",");
        if (line.isBlank() || !cells[label].equals("0")) {
          continue;
        }
        double[] row = new double[label];
        for (int i = 0; i < label; i++) {
          row[i] = Double.parseDouble(cells[i]);
        }
        normal.add(row);
      }
    }
    return normal;
  }

  private static void produce(Properties props, String topic, List<String> features, List<double[]> normal, int n)
      throws Exception {
    Properties p = new Properties();
    p.putAll(props);
    p.put("enable.idempotence", "false");
    p.put("acks", "all");
    p.put("linger.ms", "20");
    SplittableRandom rng = new SplittableRandom(7);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      while (producer.partitionsFor(topic).stream().anyMatch(i -> i.leader() == null)) {
        Thread.sleep(100);
      }
      List<Future<?>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        double[] row = normal.get(rng.nextInt(normal.size()));
        StringBuilder json = new StringBuilder("{\"key\":\"machine-").append(i % 16).append("\",\"features\":{");
        for (int f = 0; f < row.length; f++) {
          json.append(f == 0 ? "" : ",").append('"').append(features.get(f)).append("\":").append(row[f]);
        }
        acks.add(producer.send(new ProducerRecord<>(topic, json.append("}}").toString()
            .getBytes(StandardCharsets.UTF_8))));
      }
      for (Future<?> a : acks) {
        a.get(60, TimeUnit.SECONDS);
      }
    }
  }
}
