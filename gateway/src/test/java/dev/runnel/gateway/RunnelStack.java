package dev.runnel.gateway;

import dev.runnel.app.ChatModels;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.processor.DeltaPublisher;
import dev.runnel.processor.KafkaDeltaPublisher;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.query.SessionQueryServer;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.topics.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Runnel's parts for a gateway test, on one broker: topics with a unique prefix, any number of
 * topology instances (each with its state-query endpoint), the simulated model and gateways.
 */
final class RunnelStack implements AutoCloseable {
  /** What a topology instance hosts unless told: the built-in chat action. */
  static final BiFunction<RunnelConfig, ChatModel, List<Application>> CHAT =
      (config, model) -> List.of(Application.of(ChatModels.chatAction(config, model)));

  private final TestBroker broker;
  private final String prefix;
  private final SimulatedModelServer simulator;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<String> queryUrls = new ArrayList<>();
  private final List<KafkaStreams> instances = new ArrayList<>();
  private final Map<String, Object> shared = new HashMap<>();

  RunnelStack(TestBroker broker, String prefix, int partitions, SimulatedModelServer simulator)
      throws Exception {
    this.broker = broker;
    this.prefix = prefix;
    this.simulator = simulator;
    broker.createTopics(prefix, partitions);
  }

  /** Adds {@code settings} to those every part started from now on shares. */
  RunnelStack with(Map<String, Object> settings) {
    shared.putAll(settings);
    return this;
  }

  /** Settings every part shares: the broker, the topics, the simulated model, {@link #with}. */
  Map<String, Object> settings() {
    Map<String, Object> s = new HashMap<>();
    s.put("bootstrap.servers", broker.bootstrapServers());
    s.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, prefix + ".prompts");
    s.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, prefix + ".cancellations");
    s.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, prefix + ".chunks");
    s.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, prefix + ".sessions");
    s.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, prefix + ".dead-letters");
    s.put(RunnelConfig.TOOL_CALLS_TOPIC_CONFIG, prefix + ".tool-calls");
    s.put(RunnelConfig.TOOL_RESULTS_TOPIC_CONFIG, prefix + ".tool-results");
    s.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
    s.put(RunnelConfig.MODEL_BASE_URL_CONFIG, simulator.openAiBaseUrl());
    s.putAll(shared);
    return s;
  }

  /** Starts one topology instance with its state-query endpoint; returns its Kafka Streams. */
  KafkaStreams startTopology() throws IOException {
    return startTopology(CHAT);
  }

  /**
   * Starts one topology instance hosting the applications {@code applications} makes with the
   * configured model client; returns its Kafka Streams.
   */
  KafkaStreams startTopology(BiFunction<RunnelConfig, ChatModel, List<Application>> applications)
      throws IOException {
    RunnelConfig config = new RunnelConfig(settings());
    SessionQueryServer query = SessionQueryServer.bind(new InetSocketAddress("127.0.0.1", 0));
    int queryPort = query.address().getPort();
    Path stateDir = Files.createTempDirectory("runnel-gw-test-state-");
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "-app");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.POLL_MS_CONFIG, 10);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50);
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + queryPort);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put("consumer.session.timeout.ms", 10_000);
    ChatModel model = ChatModels.create(config);
    Map<String, Object> clientProps = Map.of("bootstrap.servers", broker.bootstrapServers());
    Optional<DeltaPublisher> publisher =
        Optional.of(KafkaDeltaPublisher.create(clientProps, Topics.from(config).chunks()));
    KafkaStreams streams =
        new KafkaStreams(
            RunnelTopology.build(
                config,
                applications.apply(config, model),
                publisher,
                List.of(),
                config.getInt(RunnelConfig.TOPIC_PARTITIONS_CONFIG)),
            new StreamsConfig(props));
    query.serve(streams, new HostInfo("127.0.0.1", queryPort));
    streams.start();
    closeables.add(
        () -> {
          query.close();
          streams.close(java.time.Duration.ofSeconds(20));
          publisher.get().close();
          model.close();
        });
    queryUrls.add("http://127.0.0.1:" + queryPort);
    instances.add(streams);
    return streams;
  }

  /**
   * Starts a gateway asking every topology instance started so far, with {@code extra} settings.
   */
  Gateway startGateway(Map<String, Object> extra) {
    Map<String, Object> s = settings();
    s.put(RunnelConfig.GATEWAY_PORT_CONFIG, 0);
    s.put(RunnelConfig.GATEWAY_QUERY_URLS_CONFIG, String.join(",", queryUrls));
    // Tests of other concerns run as the embedded default does; tenant tests pass keys.
    s.put(RunnelConfig.GATEWAY_AUTH_MODE_CONFIG, RunnelConfig.AUTH_OPEN);
    s.putAll(extra);
    Gateway gateway = Gateway.start(new RunnelConfig(s));
    closeables.add(gateway);
    return gateway;
  }

  /** Stops {@code gateway} now, as a crashed or retired instance would go. */
  void stopGateway(Gateway gateway) {
    closeables.remove(gateway);
    gateway.close();
  }

  List<String> queryUrls() {
    return queryUrls;
  }

  List<KafkaStreams> instances() {
    return instances;
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        throw new IllegalStateException("Stopping a test part failed", e);
      }
    }
  }
}
