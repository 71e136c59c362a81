package dev.runnel.app;

import dev.runnel.action.StreamingAction;
import dev.runnel.app.internal.StreamsSettings;
import dev.runnel.app.internal.TopicProvisioner;
import dev.runnel.config.RunnelConfig;
import dev.runnel.metrics.MetricsServer;
import dev.runnel.metrics.RunnelMetrics;
import dev.runnel.model.ChatModel;
import dev.runnel.model.internal.Redaction;
import dev.runnel.processor.DeltaPublisher;
import dev.runnel.processor.KafkaDeltaPublisher;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.query.SessionQueryServer;
import dev.runnel.topics.Topics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Runnel instance: checks or creates the topics, runs the topology under exactly-once, serves
 * metrics, and closes everything in order. Any number of instances with the same {@code
 * application.id} share the work.
 *
 * <p>Run it with {@code java -cp ... dev.runnel.app.RunnelApplication [config.properties]}; see
 * {@link ConfigLoader} for the environment overrides.
 */
public final class RunnelApplication implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunnelApplication.class);

  // A stream thread that keeps dying is replaced at most this often before the instance gives up,
  // so a persistent fault (e.g. lost authorization) ends the process instead of spinning.
  private static final int MAX_THREAD_REPLACEMENTS = 10;
  private static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(1);

  private final RunnelConfig config;
  private final KafkaStreams streams;
  // In reverse order of opening: the metrics endpoint, Streams' meters, Kafka Streams, the
  // immediate-lane producer, JVM meters, the registry, the model client.
  private final List<AutoCloseable> resources;
  private final PrometheusMeterRegistry registry;
  private final RunnelMetrics metrics;
  private final Optional<MetricsServer> metricsServer;
  private final Optional<SessionQueryServer> queryServer;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Deque<Long> replacements = new ArrayDeque<>();
  private final List<State> stateHistory = new CopyOnWriteArrayList<>();
  private final AtomicInteger replacedThreads = new AtomicInteger();

  private RunnelApplication(
      RunnelConfig config,
      KafkaStreams streams,
      List<AutoCloseable> resources,
      PrometheusMeterRegistry registry,
      RunnelMetrics metrics,
      Optional<MetricsServer> metricsServer,
      Optional<SessionQueryServer> queryServer) {
    this.config = config;
    this.queryServer = queryServer;
    this.streams = streams;
    this.resources = resources;
    this.registry = registry;
    this.metrics = metrics;
    this.metricsServer = metricsServer;
  }

  public static void main(String[] args) {
    main(args, UnaryOperator.identity(), () -> {});
  }

  /**
   * The main's steps, for a main that adds to them: loads the configuration from {@code args} and
   * the environment, passes it through {@code prepare} (the demo module's main starts the simulated
   * model there when no endpoint is configured), runs an instance until it stops, then runs {@code
   * cleanup}. Exits with 2 on an invalid setting and 1 when the instance stopped in error.
   */
  public static void main(String[] args, UnaryOperator<RunnelConfig> prepare, Runnable cleanup) {
    try {
      run(args, System.getenv(), prepare, cleanup);
    } catch (ConfigException e) {
      // The message names the key and the value (Kafka masks passwords); no stack trace needed.
      log.error(
          "Invalid configuration: {} (settings come from the file given as first argument or in"
              + " {}, and from RUNNEL_* / KAFKA_* environment variables; see the README)",
          e.getMessage(),
          ConfigLoader.CONFIG_FILE_ENV);
      cleanup.run();
      System.exit(2);
    }
  }

  private static void run(
      String[] args,
      Map<String, String> env,
      UnaryOperator<RunnelConfig> prepare,
      Runnable cleanup) {
    RunnelConfig loaded = ConfigLoader.load(ConfigLoader.configFile(args, env), env);
    // Validates the Kafka settings (bootstrap.servers above all) before anything starts.
    new StreamsConfig(StreamsSettings.of(loaded));
    RunnelConfig config = prepare.apply(loaded);
    RunnelApplication app = start(config, ChatModels.create(config));
    Runnable stop =
        () -> {
          app.close();
          cleanup.run();
        };
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "runnel-shutdown"));
    app.awaitStopped();
    State last = app.streams.state();
    stop.run();
    if (last == State.ERROR) {
      System.exit(1);
    }
  }

  /**
   * Starts an instance with {@code model}; it owns the model from here on and closes it.
   *
   * @throws org.apache.kafka.common.config.ConfigException on an invalid setting, naming it
   * @throws IllegalStateException when the topics are missing or wrong
   */
  public static RunnelApplication start(RunnelConfig config, ChatModel model) {
    // Everything opened so far, closed in reverse if a later step fails, so that a failed start
    // (missing topics, a port in use) leaves no threads or connections behind.
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    opened.push(model);
    try {
      Map<String, Object> streamsProps = StreamsSettings.of(config);
      Optional<SessionQueryServer> queryServer = bindQueryServer(config, streamsProps);
      queryServer.ifPresent(opened::push);
      StreamsConfig streamsConfig = new StreamsConfig(streamsProps);
      Topics topics = Topics.from(config);
      logStartup(config, streamsConfig);

      Map<String, Object> clientProps = config.kafkaClientProperties();
      int inputPartitions;
      try (Admin admin = Admin.create(adminProps(streamsConfig, clientProps))) {
        inputPartitions = new TopicProvisioner(admin, config, topics).ensureTopics();
      }

      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      opened.push(registry::close);
      new JvmMemoryMetrics().bindTo(registry);
      JvmGcMetrics gcMetrics = new JvmGcMetrics();
      gcMetrics.bindTo(registry);
      opened.push(gcMetrics);
      new JvmThreadMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      RunnelMetrics metrics = new RunnelMetrics(registry);

      Optional<DeltaPublisher> publisher =
          config.immediateLane()
              ? Optional.of(
                  KafkaDeltaPublisher.create(
                      clientProps, topics.chunks(), config.deltaLaneBufferBytes()))
              : Optional.empty();
      publisher.ifPresent(opened::push);
      StreamingAction action = ChatModels.chatAction(config, model);
      // Closed after Kafka Streams, which cancels every run when it closes its tasks.
      opened.push(action);
      Topology topology = RunnelTopology.build(config, action, publisher, metrics, inputPartitions);
      KafkaStreams streams = new KafkaStreams(topology, streamsConfig);
      opened.push(streams);
      queryServer.ifPresent(
          q ->
              q.serve(
                  streams,
                  HostInfo.buildFromEndpoint(
                      streamsConfig.getString(StreamsConfig.APPLICATION_SERVER_CONFIG))));
      metrics.queueDepthFrom(() -> waitingRequests(streams, metrics));
      KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
      streamsMetrics.bindTo(registry);
      opened.push(streamsMetrics);

      Optional<MetricsServer> metricsServer = startMetricsServer(config, registry, streams);
      metricsServer.ifPresent(opened::push);
      RunnelApplication app =
          new RunnelApplication(
              config, streams, List.copyOf(opened), registry, metrics, metricsServer, queryServer);
      streams.setStateListener(app::onStateChange);
      streams.setUncaughtExceptionHandler(app::onUncaughtException);
      streams.start();
      return app;
    } catch (RuntimeException e) {
      closeAll(opened, e);
      throw e;
    }
  }

  /**
   * Binds the state-query endpoint before Kafka Streams exists, so that its real port (port 0 picks
   * one) is what {@code application.server} advertises. An {@code application.server} set
   * explicitly (e.g. behind address translation) wins.
   */
  private static Optional<SessionQueryServer> bindQueryServer(
      RunnelConfig config, Map<String, Object> streamsProps) {
    int port = config.getInt(RunnelConfig.QUERY_PORT_CONFIG);
    if (port < 0) {
      return Optional.empty();
    }
    InetSocketAddress address =
        new InetSocketAddress(config.getString(RunnelConfig.QUERY_BIND_ADDRESS_CONFIG), port);
    SessionQueryServer server = SessionQueryServer.bind(address);
    streamsProps.putIfAbsent(
        StreamsConfig.APPLICATION_SERVER_CONFIG,
        config.getString(RunnelConfig.QUERY_ADVERTISED_HOST_CONFIG)
            + ":"
            + server.address().getPort());
    log.info(
        "Session state queries on http://{}:{}{}{{id}}",
        address.getHostString(),
        server.address().getPort(),
        SessionQueryServer.PATH);
    return Optional.of(server);
  }

  private static void closeAll(Iterable<AutoCloseable> resources, RuntimeException cause) {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        cause.addSuppressed(e);
      }
    }
  }

  /**
   * Requests accepted by this instance's tasks and not yet applied, minus those being called now.
   * RocksDB's key count is an estimate, which is what a gauge needs; NaN while rebalancing.
   */
  private static double waitingRequests(KafkaStreams streams, RunnelMetrics metrics) {
    if (streams.state() != State.RUNNING) {
      return Double.NaN;
    }
    try {
      long pending =
          streams
              .store(
                  StoreQueryParameters.fromNameAndType(
                      RunnelTopology.PENDING_REQUESTS_STORE, QueryableStoreTypes.keyValueStore()))
              .approximateNumEntries();
      return Math.max(0, pending - metrics.callsInFlight());
    } catch (InvalidStateStoreException e) {
      return Double.NaN;
    }
  }

  private static Map<String, Object> adminProps(
      StreamsConfig streamsConfig, Map<String, Object> clientProps) {
    Map<String, Object> props = new HashMap<>(clientProps);
    props.putAll(streamsConfig.getAdminConfigs("runnel-admin"));
    return props;
  }

  private static Optional<MetricsServer> startMetricsServer(
      RunnelConfig config, PrometheusMeterRegistry registry, KafkaStreams streams) {
    int port = config.getInt(RunnelConfig.METRICS_PORT_CONFIG);
    if (port == 0) {
      return Optional.empty();
    }
    InetSocketAddress address =
        new InetSocketAddress(config.getString(RunnelConfig.METRICS_BIND_ADDRESS_CONFIG), port);
    try {
      MetricsServer server =
          MetricsServer.start(
              address,
              registry,
              () -> streams.state() == State.RUNNING || streams.state() == State.REBALANCING);
      log.info(
          "Metrics on http://{}:{}/metrics, health on /health",
          address.getHostString(),
          server.address().getPort());
      return Optional.of(server);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot serve metrics on "
              + address
              + " (set "
              + RunnelConfig.METRICS_PORT_CONFIG
              + " to a free port, or 0 to turn it off)",
          e);
    }
  }

  private static void logStartup(RunnelConfig config, StreamsConfig streamsConfig) {
    log.info(
        "Runnel starting: bootstrap.servers={}, security.protocol={}, application.id={},"
            + " processing.guarantee={}, delta lane={}, model provider={}, model base URL={},"
            + " model API key {}",
        streamsConfig.getList(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG),
        streamsConfig.getString(StreamsConfig.SECURITY_PROTOCOL_CONFIG),
        streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG),
        streamsConfig.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
        config.getString(RunnelConfig.DELTA_LANE_CONFIG),
        config.modelProvider(),
        config.modelBaseUrl().isEmpty()
            ? "(provider default)"
            : Redaction.url(config.modelBaseUrl()),
        config.modelApiKey().isPresent() ? "set" : "none");
  }

  private void onStateChange(State newState, State oldState) {
    stateHistory.add(newState);
    if (newState == State.ERROR) {
      log.error("Kafka Streams: {} -> {}; this instance stops", oldState, newState);
    } else {
      log.info("Kafka Streams: {} -> {}", oldState, newState);
    }
    if (newState == State.NOT_RUNNING || newState == State.ERROR) {
      stopped.countDown();
    }
  }

  private StreamThreadExceptionResponse onUncaughtException(Throwable error) {
    long now = System.nanoTime();
    synchronized (replacements) {
      while (!replacements.isEmpty()
          && now - replacements.peekFirst() > REPLACEMENT_WINDOW.toNanos()) {
        replacements.pollFirst();
      }
      if (replacements.size() >= MAX_THREAD_REPLACEMENTS) {
        log.error(
            "A stream thread died {} times within {}; shutting this instance down",
            replacements.size() + 1,
            REPLACEMENT_WINDOW,
            error);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
      replacements.addLast(now);
    }
    replacedThreads.incrementAndGet();
    log.error("A stream thread died; replacing it", error);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** The running Kafka Streams instance, for state and interactive queries. */
  public KafkaStreams streams() {
    return streams;
  }

  /** Every state Kafka Streams entered since start, in order. */
  public List<State> stateHistory() {
    return List.copyOf(stateHistory);
  }

  /** How many stream threads died of an uncaught error and were replaced. */
  public int replacedThreads() {
    return replacedThreads.get();
  }

  /** Runnel's meters; the processor records into them. */
  public RunnelMetrics metrics() {
    return metrics;
  }

  /** Prometheus text of every meter, as {@code /metrics} serves it. */
  public String scrape() {
    return registry.scrape();
  }

  /** The state-query endpoint's address ({@code GET /sessions/{id}}), when it is on. */
  public Optional<InetSocketAddress> queryAddress() {
    return queryServer.map(SessionQueryServer::address);
  }

  /** The metrics endpoint's address, when it is on. */
  public Optional<InetSocketAddress> metricsAddress() {
    return metricsServer.map(MetricsServer::address);
  }

  /** Blocks until Kafka Streams stops (closed, or failed for good). */
  public void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops in dependency order: Kafka Streams first (it commits what it can and stops calling the
   * model), then the immediate-lane producer, the model client and the metrics endpoint.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Duration timeout = Duration.ofMillis(config.getLong(RunnelConfig.SHUTDOWN_TIMEOUT_MS_CONFIG));
    log.info("Runnel stopping (waiting up to {} for Kafka Streams)", timeout);
    if (!streams.close(timeout)) {
      log.warn("Kafka Streams did not close within {}", timeout);
    }
    for (AutoCloseable resource : resources) {
      if (resource == streams) {
        continue;
      }
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("While stopping: {}", e.toString());
      }
    }
    stopped.countDown();
    log.info("Runnel stopped");
  }
}
