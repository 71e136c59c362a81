package dev.runnel.bench;

import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.app.internal.StreamsSettings;
import dev.runnel.app.internal.TopicProvisioner;
import dev.runnel.bench.internal.BlockingBaseline;
import dev.runnel.bench.internal.CpuMeter;
import dev.runnel.bench.internal.HeapResult;
import dev.runnel.bench.internal.LoadDriver;
import dev.runnel.bench.internal.Machine;
import dev.runnel.bench.internal.Options;
import dev.runnel.bench.internal.Plot;
import dev.runnel.bench.internal.PointResult;
import dev.runnel.bench.internal.Report;
import dev.runnel.bench.internal.RunnelInstance;
import dev.runnel.bench.internal.SendTimes;
import dev.runnel.bench.internal.WindowResult;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.topics.Topics;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * Runs Runnel's benchmark in one JVM: an embedded broker, the simulated model, Runnel in each delta
 * lane and the plain blocking processor, under a closed-loop load; prints a table and writes {@code
 * docs/benchmarks.md} and {@code docs/benchmarks.png}. See the module's README.
 */
public final class BenchMain {
  private static final long START = System.nanoTime();

  private BenchMain() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      // Whatever failed, stop the JVM: stream threads blocked in the baseline would keep it up.
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Instant started = Instant.now();
    String loadBefore = Machine.loadAverage();
    Machine machine = Machine.describe();
    double latency = options.modelLatencySeconds();
    progress(
        "machine: %d cores, %.1f GB, %s; load average %s",
        machine.cores(), machine.memoryBytes() / 1e9, machine.jvm(), loadBefore);
    progress("command: %s", options.command());
    progress(
        "model: first token %d ms, %.0f tokens/s, %d tokens: L = %.2f s",
        options.timeToFirstToken().toMillis(),
        options.tokensPerSecond(),
        options.replyTokens(),
        latency);

    List<PointResult> points = new ArrayList<>();
    HeapResult heap;
    String streamsSettings;
    int maxConcurrency = Math.max(256, Collections.max(options.concurrencies()));
    SendTimes sendTimes = new SendTimes(options.replyTokens());
    SimulatorSettings sim =
        SimulatorSettings.DEFAULTS
            .withTimeToFirstToken(options.timeToFirstToken())
            .withTokensPerSecond(options.tokensPerSecond())
            .withReplyTokens(options.replyTokens());
    progress("starting the embedded broker and the simulated model");
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        SimulatedModelServer model = SimulatedModelServer.start(sim)) {
      model.observeTokens(sendTimes);
      String bootstrap = kafka.bootstrapServers();
      int runId = (int) (System.currentTimeMillis() % 100_000);

      // Immediate lane: warm-up, every concurrency, heap, then a second instance.
      HeapResult heapSeen = null;
      streamsSettings =
          describeStreamsSettings(
              RunnelInstance.config(
                  bootstrap, RunnelConfig.LANE_IMMEDIATE, "settings", "settings", maxConcurrency));
      if (options.modes().contains("immediate")) {
        RunnelConfig immediate =
            RunnelInstance.config(
                bootstrap,
                RunnelConfig.LANE_IMMEDIATE,
                "bench-immediate-" + runId,
                "bench-immediate",
                maxConcurrency);
        progress("Runnel, immediate lane: starting (%s)", streamsSettings);
        try (RunnelInstance one = RunnelInstance.start(immediate, model.openAiBaseUrl());
            LoadDriver driver =
                new LoadDriver(bootstrap, one.topics(), false, sendTimes, "imm" + runId)) {
          CpuMeter cpu = new CpuMeter(runnelThreads("bench-immediate-" + runId));
          warmUp(driver, options, latency);
          for (int c : options.concurrencies()) {
            points.add(runPoint("immediate", c, driver, cpu, options, latency, true));
          }
          heapSeen = measureHeap(driver, model, maxConcurrency, options);
          progress("Runnel, immediate lane: starting a second instance");
          try (RunnelInstance two =
              RunnelInstance.start(
                  RunnelInstance.config(
                      bootstrap,
                      RunnelConfig.LANE_IMMEDIATE,
                      "bench-immediate-" + runId,
                      "bench-immediate",
                      maxConcurrency),
                  model.openAiBaseUrl())) {
            one.awaitRunning(Duration.ofSeconds(60));
            two.awaitRunning(Duration.ofSeconds(60));
            points.add(
                runPoint("immediate, 2 instances", 256, driver, cpu, options, latency, true));
          }
        }
      }
      heap = heapSeen;

      if (options.modes().contains("transactional")) {
        RunnelConfig transactional =
            RunnelInstance.config(
                bootstrap,
                RunnelConfig.LANE_TRANSACTIONAL,
                "bench-transactional-" + runId,
                "bench-transactional",
                maxConcurrency);
        progress("Runnel, transactional lane: starting");
        try (RunnelInstance one = RunnelInstance.start(transactional, model.openAiBaseUrl());
            LoadDriver driver =
                new LoadDriver(bootstrap, one.topics(), true, sendTimes, "txn" + runId)) {
          CpuMeter cpu = new CpuMeter(runnelThreads("bench-transactional-" + runId));
          driver.open(64, "warm");
          Thread.sleep((long) (latency * 3000));
          driver.drain(Duration.ofSeconds(60));
          for (int c : options.concurrencies()) {
            points.add(runPoint("transactional", c, driver, cpu, options, latency, true));
          }
        }
      }
      if (options.modes().contains("blocking")) {
        // As users write it, with Runnel's settings: several prompts per transaction.
        points.add(
            runBlocking(
                "blocking", Map.of(), bootstrap, runId, model, sendTimes, options, latency));
        // The least tuning that keeps it alive: one record per poll, so one reply per commit.
        points.add(
            runBlocking(
                "blocking, max.poll.records=1",
                Map.of(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 1),
                bootstrap,
                runId,
                model,
                sendTimes,
                options,
                latency));
      }
    }
    String loadAfter = Machine.loadAverage();
    Duration took = Duration.ofNanos(System.nanoTime() - START);
    Report report =
        new Report(
            options, machine, started, took, loadBefore, loadAfter, streamsSettings, points, heap);
    System.out.println();
    System.out.println(report.consoleTable());
    report.write(options.out().resolve("benchmarks.md"));
    Plot.write(points, latency, options.out().resolve("benchmarks.png"));
    progress("wrote %s and %s", options.out().resolve("benchmarks.md"), "benchmarks.png");
  }

  private static void warmUp(LoadDriver driver, Options options, double latency)
      throws InterruptedException {
    progress(
        "warming up for %d s (the JIT compiler needs most of a core at first)",
        options.warmUp().toSeconds());
    driver.open(256, "warm");
    Thread.sleep(options.warmUp().toMillis());
    driver.drain(Duration.ofSeconds((long) (latency * 10) + 30));
  }

  private static PointResult runPoint(
      String mode,
      int concurrency,
      LoadDriver driver,
      CpuMeter cpu,
      Options options,
      double latency,
      boolean drain)
      throws InterruptedException {
    double ideal = concurrency / latency;
    progress(
        "%s, C=%d: opening %d sessions (ideal C/L = %.1f replies/s)",
        mode, concurrency, concurrency, ideal);
    driver.open(concurrency, mode.replaceAll("[^a-z0-9]", "") + concurrency);
    Thread.sleep((long) (latency * 2000) + 1000);
    List<WindowResult> windows = new ArrayList<>();
    for (int r = 1; r <= options.runs(); r++) {
      WindowResult w = driver.measure(options.window(), cpu);
      windows.add(w);
      progress(
          "%s, C=%d, run %d/%d: %.1f replies/s (%.2f of ideal), %.0f deltas/s, added first token"
              + " p50/p99 %.1f/%.1f ms, per token p50/p99 %.1f/%.1f ms, %.2f cores (Runnel"
              + " %.2f)%s",
          mode,
          concurrency,
          r,
          options.runs(),
          w.repliesPerSecond(),
          w.repliesPerSecond() / ideal,
          w.deltasPerSecond(),
          w.firstToken().p50() / 1e6,
          w.firstToken().p99() / 1e6,
          w.perToken().p50() / 1e6,
          w.perToken().p99() / 1e6,
          w.processCores(),
          w.cores(CpuMeter.RUNNEL),
          w.errors() > 0 ? ", " + w.errors() + " errors" : "");
    }
    if (drain && !driver.drain(Duration.ofSeconds((long) (latency * 10) + 30))) {
      progress("%s, C=%d: %d replies did not end in time", mode, concurrency, driver.outstanding());
    }
    return new PointResult(mode, concurrency, ideal, windows);
  }

  /**
   * The blocking baseline, with Runnel's Kafka Streams settings plus {@code extra}.
   *
   * @param mode the row's name
   */
  private static PointResult runBlocking(
      String mode,
      Map<String, Object> extra,
      String bootstrap,
      int runId,
      SimulatedModelServer model,
      SendTimes sendTimes,
      Options options,
      double latency)
      throws Exception {
    String id = "bench-" + mode.replaceAll("[^a-z0-9]+", "-") + "-" + runId;
    RunnelConfig config =
        RunnelInstance.config(bootstrap, RunnelConfig.LANE_TRANSACTIONAL, id, id, 256);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      new TopicProvisioner(admin, config, Topics.from(config)).ensureTopics();
    }
    Map<String, Object> settings = new HashMap<>(StreamsSettings.of(config));
    settings.putAll(extra);
    progress(
        "%s: starting (Runnel's Kafka Streams settings, partitions, threads; %s)",
        mode, extra.isEmpty() ? "nothing else" : extra);
    AtomicReference<Throwable> died = new AtomicReference<>();
    AtomicInteger rebalances = new AtomicInteger();
    AtomicBoolean armed = new AtomicBoolean();
    ChatModel client = OpenAiChatModel.builder().baseUrl(model.openAiBaseUrl()).build();
    KafkaStreams streams =
        new KafkaStreams(
            BlockingBaseline.topology(
                Topics.from(config), client, Duration.ofSeconds((long) (latency * 10) + 30)),
            new StreamsConfig(settings));
    try {
      streams.setUncaughtExceptionHandler(
          e -> {
            died.compareAndSet(null, e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
          });
      streams.setStateListener(
          (now, before) -> {
            if (armed.get() && now == KafkaStreams.State.REBALANCING) {
              rebalances.incrementAndGet();
            }
          });
      streams.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      // From here on a rebalance means a task was fenced (its transaction timed out) or the
      // member was dropped (max.poll.interval.ms ran out).
      armed.set(true);
      try (LoadDriver driver =
          new LoadDriver(bootstrap, Topics.from(config), true, sendTimes, "blk" + runId)) {
        CpuMeter cpu = new CpuMeter(runnelThreads(id));
        // The backlog of 256 sessions would take C x L to drain: measure, then stop.
        PointResult result = runPoint(mode, 256, driver, cpu, options, latency, false);
        String rebalanced =
            rebalances.get() == 0
                ? ""
                : "Kafka Streams rebalanced "
                    + rebalances.get()
                    + " times while measured (a transaction timed out or the poll interval ran"
                    + " out). ";
        Throwable error = died.get();
        if (error == null) {
          if (!rebalanced.isEmpty()) {
            progress("%s: %s", mode, rebalanced);
          }
          return rebalanced.isEmpty() ? result : result.withNote(rebalanced.trim());
        }
        Throwable root = error;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        String note =
            rebalanced
                + "Kafka Streams shut down: "
                + error.getClass().getSimpleName()
                + " caused by "
                + root.getClass().getSimpleName()
                + " ("
                + root.getMessage()
                + ")";
        progress("%s: %s", mode, note);
        return result.withNote(note);
      }
    } finally {
      // A stream thread blocked in process() with a backlog would hold an unbounded close: give
      // up after one reply's time and leave it to the JVM's exit.
      streams.close(Duration.ofSeconds((long) latency + 5));
      client.close();
    }
  }

  private static HeapResult measureHeap(
      LoadDriver driver, SimulatedModelServer model, int streams, Options options)
      throws InterruptedException {
    // Slow replies keep every stream open mid-reply while the heap is measured.
    String slow = " [[sim tps=3]]";
    double replySeconds =
        options.timeToFirstToken().toMillis() / 1000.0 + (options.replyTokens() - 1) / 3.0;
    progress("heap: %d streams open through Runnel", streams);
    long idle = usedHeapAfterGc();
    driver.promptSuffix(slow);
    driver.open(streams, "heap");
    awaitOpenStreams(model, streams);
    Thread.sleep(1000);
    long with = usedHeapAfterGc();
    int open = model.openStreams();
    driver.drain(Duration.ofSeconds((long) replySeconds * 3 + 30));
    driver.promptSuffix("");

    progress("heap: %d streams open through the bare model client", streams);
    long clientIdle = usedHeapAfterGc();
    List<ChatCall> calls = new ArrayList<>();
    try (ChatModel client = OpenAiChatModel.builder().baseUrl(model.openAiBaseUrl()).build()) {
      for (int i = 0; i < streams; i++) {
        calls.add(
            client.stream(
                new ChatRequest("runnel-sim", List.of(ChatMessage.user("heap probe " + i + slow))),
                new StreamListener() {
                  @Override
                  public void onComplete(ChatCompletion completion) {}

                  @Override
                  public void onError(ModelException error) {}
                }));
      }
      awaitOpenStreams(model, streams);
      Thread.sleep(1000);
      long clientWith = usedHeapAfterGc();
      calls.forEach(ChatCall::cancel);
      HeapResult result = new HeapResult(open, idle, with, clientIdle, clientWith);
      progress(
          "heap: %.1f KB per open stream through Runnel (model client and simulator included),"
              + " %.1f KB with the bare client",
          result.perStreamBytes() / 1024, result.clientOnlyPerStreamBytes() / 1024);
      return result;
    }
  }

  private static void awaitOpenStreams(SimulatedModelServer model, int streams)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (model.openStreams() < streams && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Runnel's threads: stream threads and their clients, the immediate lane, the model client. */
  private static Predicate<String> runnelThreads(String applicationId) {
    return name ->
        name.contains(applicationId)
            || name.contains("runnel-immediate-lane")
            || name.startsWith("runnel-model")
            || name.startsWith("HttpClient-");
  }

  private static String describeStreamsSettings(RunnelConfig config) {
    Map<String, Object> s = StreamsSettings.of(config);
    return "processing.guarantee="
        + s.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)
        + ", commit.interval.ms="
        + s.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)
        + ", poll.ms="
        + s.get(StreamsConfig.POLL_MS_CONFIG)
        + ", num.stream.threads="
        + s.getOrDefault(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1)
        + ", partitions="
        + config.getInt(RunnelConfig.TOPIC_PARTITIONS_CONFIG)
        + ", runnel.max.in.flight="
        + config.getInt(RunnelConfig.MAX_IN_FLIGHT_CONFIG);
  }

  static void progress(String format, Object... args) {
    long s = (System.nanoTime() - START) / 1_000_000_000L;
    System.out.printf("[%02d:%02d] %s%n", s / 60, s % 60, String.format(format, args));
    System.out.flush();
  }
}
