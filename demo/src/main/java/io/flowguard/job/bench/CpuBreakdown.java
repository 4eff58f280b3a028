package io.flowguard.job.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where the process's CPU time went during one benchmark run, by thread group: the scoring operator's
 * chain (its task threads), the event source and parse chain, the embedded broker, the Kafka clients'
 * I/O threads, the rest of Flink, and the JVM itself (garbage collection and JIT compilation: the
 * process's CPU time minus that of every Java thread). Divided by the events of the run, it says how
 * many core-microseconds each part costs per event, which throughput alone cannot: on a saturated 2-core
 * machine every runnable thread shares the cores, so a slow scoring thread shows up as less throughput
 * whatever the others do.
 */
final class CpuBreakdown {

  /** Thread groups, in report order; a thread belongs to the first whose prefix its name has. */
  private static final String[][] GROUPS = {
      {"scoring", "scoring"},
      {"source+parse", "Source: events-source", "Source Data Fetcher for Source: events-source"},
      {"client I/O", "kafka-producer-network-thread", "kafka-admin-client-thread"},
      {"broker", "data-plane-kafka", "kafka-", "controller-", "broker-", "ExpirationReaper", "LogDirFailureHandler",
          "group-coordinator", "transaction-log", "TxnMarkerSenderThread", "quorum-", "raft-", "executor-",
          "metadata-", "share-"},
  };

  private static final String FLINK_OTHER = "flink, other";
  private static final String JVM = "JVM (GC, JIT)";

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  /** Per thread id: {CPU nanos at start (0 for a thread born later), latest CPU nanos seen}. */
  private final Map<Long, long[]> cpuByThread = new HashMap<>();
  private final Map<Long, String> names = new HashMap<>();
  private final long processStart;
  /** Per sample: {epoch millis, cumulative CPU nanos of each group in {@link #groupNames()} order}. */
  private final java.util.List<long[]> series = new java.util.ArrayList<>();
  private final Thread sampler;
  private volatile boolean running = true;

  private CpuBreakdown() {
    sample(true);
    processStart = os.getProcessCpuTime();
    sampler = new Thread(() -> {
      while (running) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
        sample(false);
      }
    }, "bench-cpu-breakdown");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Starts sampling every thread's CPU time every 100 ms (threads of a bounded job end with it). */
  static CpuBreakdown start() {
    return new CpuBreakdown();
  }

  private synchronized void sample(boolean first) {
    sampleThreads(first);
    if (!first) {
      Map<String, Long> now = byGroup();
      long[] row = new long[now.size() + 1];
      row[0] = System.currentTimeMillis();
      int i = 1;
      for (long v : now.values()) {
        row[i++] = v;
      }
      series.add(row);
    }
  }

  private void sampleThreads(boolean first) {
    long[] ids = threads.getAllThreadIds();
    long[] cpu = threads.getThreadCpuTime(ids);
    java.lang.management.ThreadInfo[] infos = null;
    for (int i = 0; i < ids.length; i++) {
      if (cpu[i] < 0) {
        continue;
      }
      long[] seen = cpuByThread.get(ids[i]);
      if (seen == null) {
        if (infos == null) {
          infos = threads.getThreadInfo(ids);
        }
        if (infos[i] == null) {
          continue;
        }
        names.put(ids[i], infos[i].getThreadName());
        cpuByThread.put(ids[i], new long[] {first ? cpu[i] : 0, cpu[i]});
      } else {
        seen[1] = cpu[i];
      }
    }
  }

  /**
   * CPU nanoseconds by group since {@link #start()}: each thread up to its last sample (a thread that
   * ended less than 100 ms after its last sample loses that tail to the JVM's share).
   */
  Map<String, Long> stop() throws InterruptedException {
    running = false;
    sampler.interrupt();
    sampler.join();
    sample(false);
    synchronized (this) {
      return byGroup();
    }
  }

  private Map<String, Long> byGroup() {
    Map<String, Long> byGroup = new LinkedHashMap<>();
    for (String[] g : GROUPS) {
      byGroup.put(g[0], 0L);
    }
    byGroup.put(FLINK_OTHER, 0L);
    long threadSum = 0;
    for (Map.Entry<Long, long[]> e : cpuByThread.entrySet()) {
      long spent = e.getValue()[1] - e.getValue()[0];
      threadSum += spent;
      byGroup.merge(group(names.get(e.getKey())), spent, Long::sum);
    }
    byGroup.put(JVM, Math.max(0, os.getProcessCpuTime() - processStart - threadSum));
    return byGroup;
  }

  /**
   * CPU nanoseconds by group between two epoch-millisecond instants (interpolated between samples):
   * the steady state between a run's first and last scored record, start-up and shut-down left out.
   */
  synchronized Map<String, Long> between(long fromMillis, long toMillis) {
    Map<String, Long> out = byGroup();
    long[] a = at(fromMillis);
    long[] b = at(toMillis);
    int i = 1;
    for (String g : out.keySet()) {
      out.put(g, Math.max(0, b[i] - a[i]));
      i++;
    }
    return out;
  }

  private long[] at(long millis) {
    long[] before = series.get(0);
    for (long[] s : series) {
      if (s[0] >= millis) {
        if (s[0] == before[0]) {
          return s;
        }
        double f = (double) (millis - before[0]) / (s[0] - before[0]);
        long[] v = new long[s.length];
        for (int i = 1; i < s.length; i++) {
          v[i] = before[i] + Math.round((s[i] - before[i]) * f);
        }
        return v;
      }
      before = s;
    }
    return before;
  }

  private static String group(String name) {
    for (String[] g : GROUPS) {
      for (int i = 1; i < g.length; i++) {
        if (name.startsWith(g[i])) {
          return g[0];
        }
      }
    }
    return FLINK_OTHER;
  }

  /** "cores busy: 1.15 = scoring 0.31, ...": CPU time per second of wall time over {@code millis}. */
  static String cores(Map<String, Long> nanos, long millis) {
    return report("cores busy", "%.2f", nanos, 1e6 * Math.max(1, millis));
  }

  /** "core-us per event: 59.0 = scoring 18.6, source+parse 3.9, ...". */
  static String perEvent(Map<String, Long> nanos, long events) {
    return report("core-us per event", "%.1f", nanos, 1e3 * Math.max(1, events));
  }

  /** The total and each group's CPU nanoseconds divided by {@code divisor}, in {@code format}. */
  private static String report(String what, String format, Map<String, Long> nanos, double divisor) {
    StringBuilder s = new StringBuilder();
    long total = 0;
    for (Map.Entry<String, Long> e : nanos.entrySet()) {
      total += e.getValue();
      s.append(s.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
          .append(String.format(Locale.ROOT, format, e.getValue() / divisor));
    }
    return what + ": " + String.format(Locale.ROOT, format, total / divisor) + " = " + s;
  }
}
