package dev.runnel.bench.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * CPU time of the whole process and of groups of threads told apart by name (Runnel's own, the
 * broker's, the simulator's), so the cost of what shares the JVM with Runnel can be set aside.
 * Threads that end within a measurement are not counted in their group.
 */
public final class CpuMeter {
  /** Group name of Runnel's threads. */
  public static final String RUNNEL = "runnel";

  /** Group name of the embedded broker's request-handling threads. */
  public static final String BROKER = "broker";

  /** Group name of the simulated model server's threads. */
  public static final String SIMULATOR = "simulator";

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private final Map<String, Predicate<String>> groups = new LinkedHashMap<>();
  private long processStart;
  private final Map<Long, Long> threadStart = new HashMap<>();

  /**
   * @param runnel names of Runnel's threads
   */
  public CpuMeter(Predicate<String> runnel) {
    groups.put(RUNNEL, runnel);
    groups.put(
        BROKER,
        name ->
            name.contains("kafka-request-handler")
                || name.contains("kafka-network-thread")
                || name.contains("TxnMarkerSender")
                || name.contains("coordinator")
                || name.contains("raft")
                || name.startsWith("ReplicaFetcher"));
    groups.put(SIMULATOR, name -> name.startsWith("runnel-sim"));
  }

  /** Starts a measurement. */
  public void start() {
    threadStart.clear();
    for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (t != null) {
        threadStart.put(t.getThreadId(), Math.max(0, THREADS.getThreadCpuTime(t.getThreadId())));
      }
    }
    processStart = OS.getProcessCpuTime();
  }

  /** CPU nanoseconds since {@link #start}: the process's, and each group's. */
  public Usage stop() {
    long process = OS.getProcessCpuTime() - processStart;
    Map<String, Long> byGroup = new LinkedHashMap<>();
    groups.keySet().forEach(g -> byGroup.put(g, 0L));
    for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
      if (t == null) {
        continue;
      }
      long now = THREADS.getThreadCpuTime(t.getThreadId());
      if (now <= 0) {
        continue;
      }
      long used = now - threadStart.getOrDefault(t.getThreadId(), 0L);
      for (Map.Entry<String, Predicate<String>> g : groups.entrySet()) {
        if (g.getValue().test(t.getThreadName())) {
          byGroup.merge(g.getKey(), used, Long::sum);
          break;
        }
      }
    }
    return new Usage(process, byGroup);
  }

  /**
   * CPU nanoseconds used.
   *
   * @param process by the whole JVM
   * @param groups by each group's threads
   */
  public record Usage(long process, Map<String, Long> groups) {
    public long group(String name) {
      return groups.getOrDefault(name, 0L);
    }
  }
}
