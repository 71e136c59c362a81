package dev.runnel.app;

import dev.runnel.action.StreamingAction;
import dev.runnel.app.internal.StreamsSettings;
import dev.runnel.app.internal.TopicProvisioner;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.hook.RunHook;
import dev.runnel.metrics.MetricsServer;
import dev.runnel.metrics.RunnelMetrics;
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
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
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
 * One Runnel instance: checks or creates the topics, runs the topology under exactly-once with the
 * actions it hosts, serves metrics and state queries, and closes everything in order. Any number of
 * instances with the same {@code application.id} share the work.
 *
 * <pre>{@code
 * try (Runnel runnel = Runnel.builder(config).action(StreamingAction.blocking(new MyAction())).start()) {
 *   runnel.awaitStopped();
 * }
 * }</pre>
 *
 * <p>Without {@link Builder#action}, the instance hosts the actions {@code runnel.actions} names
 * ({@link ActionProvider}); the default is the chat action. {@link RunnelApplication} is the main
 * that starts one from a configuration file.
 */
public final class Runnel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Runnel.class);

  // A stream thread that keeps dying is replaced at most this often before the instance gives up,
  // so a persistent fault (e.g. lost authorization) ends the process instead of spinning.
  private static final int MAX_THREAD_REPLACEMENTS = 10;
  private static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(1);

  private final RunnelConfig config;
  private final KafkaStreams streams;
  // In reverse order of opening: the metrics endpoint, Streams' meters, Kafka Streams, the
  // immediate-lane producer, JVM meters, the registry, the query endpoint, the actions.
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

  private final List<FrontEnd> frontEnds = new CopyOnWriteArrayList<>();

  private Runnel(
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

  /** A builder for an instance with {@code config}'s settings. */
  public static Builder builder(RunnelConfig config) {
    return new Builder(config);
  }

  /** What an instance hosts and starts beside it. */
  public static final class Builder {
    private final RunnelConfig config;
    private final List<Application> applications = new ArrayList<>();
    private final List<FrontEnd.Factory> frontEnds = new ArrayList<>();
    private final List<RunHook> hooks = new ArrayList<>();

    private Builder(RunnelConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Hosts {@code action} under its spec's name; the instance owns it and closes it when it stops.
     * A prompt whose {@code action} field is empty runs the first action added. Without any, the
     * instance hosts the actions {@code runnel.actions} names.
     */
    public Builder action(StreamingAction action) {
      applications.add(Application.of(Objects.requireNonNull(action, "action")));
      return this;
    }

    /**
     * Hosts {@code application} under its name, as {@link #action} hosts an action (they share one
     * name space, and the first added is the default); the instance owns its actions and closes
     * them when it stops.
     */
    public Builder application(Application application) {
      applications.add(Objects.requireNonNull(application, "application"));
      return this;
    }

    /**
     * Adds a hook that hears every run, partial result, applied state and arriving record; hooks
     * are called in the order added, after Runnel's own metrics.
     */
    public Builder hook(RunHook hook) {
      hooks.add(Objects.requireNonNull(hook, "hook"));
      return this;
    }

    /**
     * Starts a front end (such as the gateway's {@code GatewayFrontEnd.Factory}) once Kafka Streams
     * runs, with this instance's {@code runnel.*} and Kafka connection settings and, unless set,
     * {@code runnel.gateway.query.urls} pointing at this instance's state-query endpoint. It is
     * closed before Kafka Streams.
     */
    public Builder frontEnd(FrontEnd.Factory factory) {
      frontEnds.add(Objects.requireNonNull(factory, "factory"));
      return this;
    }

    /**
     * Checks or creates the topics and starts the instance.
     *
     * @throws ConfigException on an invalid setting, naming it (also when {@code runnel.actions} is
     *     set and actions were added here: one of the two must go)
     * @throws IllegalStateException when the topics are missing or wrong
     * @throws IllegalArgumentException when two actions share a name
     */
    public Runnel start() {
      if (!applications.isEmpty() && config.originals().containsKey(RunnelConfig.ACTIONS_CONFIG)) {
        throw new ConfigException(
            RunnelConfig.ACTIONS_CONFIG,
            config.getList(RunnelConfig.ACTIONS_CONFIG),
            "the code that starts this instance names its actions; remove the setting");
      }
      return Runnel.start(
          config,
          applications.isEmpty() ? ActionProviders.create(config) : List.copyOf(applications),
          List.copyOf(hooks),
          List.copyOf(frontEnds));
    }
  }

  private static Runnel start(
      RunnelConfig config,
      List<Application> applications,
      List<RunHook> hooks,
      List<FrontEnd.Factory> frontEnds) {
    // Everything opened so far, closed in reverse if a later step fails, so that a failed start
    // (missing topics, a port in use) leaves no threads or connections behind. The actions close
    // after Kafka Streams, which cancels every run when it closes its tasks.
    Deque<AutoCloseable> opened = new ArrayDeque<>();
    ActionProviders.actionsOf(applications).forEach(opened::push);
    Runnel runnel;
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
        inputPartitions =
            new TopicProvisioner(
                    admin, config, topics, RunnelTopology.usesRemoteTools(applications))
                .ensureTopics();
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
      Topology topology =
          RunnelTopology.build(
              config, applications, publisher, allHooks(metrics, hooks), inputPartitions);
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
      runnel =
          new Runnel(
              config, streams, List.copyOf(opened), registry, metrics, metricsServer, queryServer);
      streams.setStateListener(runnel::onStateChange);
      streams.setUncaughtExceptionHandler(runnel::onUncaughtException);
      streams.start();
    } catch (RuntimeException e) {
      closeAll(opened, e);
      throw e;
    }
    try {
      for (FrontEnd.Factory factory : frontEnds) {
        runnel.frontEnds.add(factory.start(frontEndConfig(config, runnel.queryServer)));
      }
    } catch (RuntimeException e) {
      runnel.close();
      throw e;
    }
    return runnel;
  }

  private static List<RunHook> allHooks(RunnelMetrics metrics, List<RunHook> hooks) {
    List<RunHook> all = new ArrayList<>();
    all.add(metrics);
    all.addAll(hooks);
    return all;
  }

  /**
   * A front end's settings: Runnel's own, the Kafka connection's (not Kafka Streams' own, which a
   * front end's clients would warn about), and where to query session state.
   */
  private static RunnelConfig frontEndConfig(
      RunnelConfig config, Optional<SessionQueryServer> queryServer) {
    Map<String, Object> settings = new HashMap<>();
    config
        .originals()
        .forEach(
            (key, value) -> {
              if (key.startsWith(RunnelConfig.RUNNEL_PREFIX)
                  || key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)
                  || key.equals(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG)
                  || key.startsWith("sasl.")
                  || key.startsWith("ssl.")) {
                settings.put(key, value);
              }
            });
    queryServer.ifPresent(
        q ->
            settings.putIfAbsent(
                RunnelConfig.GATEWAY_QUERY_URLS_CONFIG,
                "http://"
                    + config.getString(RunnelConfig.QUERY_ADVERTISED_HOST_CONFIG)
                    + ":"
                    + q.address().getPort()));
    return new RunnelConfig(settings);
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

  /** The front ends started beside this instance, in the order they were added. */
  public List<FrontEnd> frontEnds() {
    return List.copyOf(frontEnds);
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
   * Stops in dependency order: the front ends, Kafka Streams (it commits what it can and cancels
   * every run), the immediate-lane producer, the actions and the metrics endpoint.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Duration timeout = Duration.ofMillis(config.getLong(RunnelConfig.SHUTDOWN_TIMEOUT_MS_CONFIG));
    for (FrontEnd frontEnd : frontEnds) {
      try {
        frontEnd.close();
      } catch (RuntimeException e) {
        log.warn("While stopping a front end: {}", e.toString());
      }
    }
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
