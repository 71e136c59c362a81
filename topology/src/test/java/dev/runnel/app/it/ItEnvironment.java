package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.Runnel;
import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.TestInfo;

/**
 * A broker and a simulated model server in the test JVM, plus what every integration test needs:
 * per-test ids and topics, instance settings, a prompt producer and topic followers.
 */
final class ItEnvironment implements AutoCloseable {
  final EmbeddedKafka kafka;
  final SimulatedModelServer model;

  private ItEnvironment(EmbeddedKafka kafka, SimulatedModelServer model) {
    this.kafka = kafka;
    this.model = model;
  }

  /** Short replies by default: tests that need long ones say so in the prompt. */
  static ItEnvironment start() {
    return start(
        SimulatorSettings.DEFAULTS
            .withTimeToFirstToken(Duration.ofMillis(30))
            .withTokensPerSecond(400)
            .withReplyTokens(12));
  }

  static ItEnvironment start(SimulatorSettings simulator) {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    try {
      return new ItEnvironment(kafka, SimulatedModelServer.start(simulator));
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
  }

  /** An id unique to the running test (and its parameters), usable in topic names. */
  static String uniqueId(TestInfo info) {
    String method = info.getTestMethod().map(m -> m.getName()).orElse("test");
    // A parameterized run's display name ("immediate lane") tells it from its siblings; a plain
    // test's is "method(TestInfo)".
    String display = info.getDisplayName();
    String raw = display.startsWith(method + "(") ? method : method + "-" + display;
    return raw.replaceAll("[^a-zA-Z0-9._-]", "_");
  }

  /**
   * Settings of one instance with its own topics, on this broker and simulator. Fast failure
   * detection (6 s session timeout) so that killed instances are noticed within a test's time.
   */
  Map<String, Object> settings(String id, Path stateDir, String lane) {
    Map<String, Object> s = new HashMap<>();
    s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    s.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
    s.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    s.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
    s.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
    s.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, id + ".prompts");
    s.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, id + ".cancellations");
    s.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, id + ".chunks");
    s.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, id + ".sessions");
    s.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, id + ".dead-letters");
    s.put(RunnelConfig.TOOL_CALLS_TOPIC_CONFIG, id + ".tool-calls");
    s.put(RunnelConfig.TOOL_RESULTS_TOPIC_CONFIG, id + ".tool-results");
    s.put(RunnelConfig.TOPIC_PARTITIONS_CONFIG, 4);
    s.put(RunnelConfig.DELTA_LANE_CONFIG, lane);
    s.put(RunnelConfig.METRICS_PORT_CONFIG, 0);
    s.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
    s.put(RunnelConfig.MODEL_BASE_URL_CONFIG, model.openAiBaseUrl());
    return s;
  }

  /** An instance in this JVM, with the configured model client. */
  static Runnel startInstance(Map<String, Object> settings) {
    RunnelConfig config = new RunnelConfig(settings);
    return Runnel.builder(config).start();
  }

  /** Waits until an instance (e.g. in another JVM) has created the topics. */
  void awaitTopics(Topics topics, BooleanSupplier instanceAlive, Supplier<String> instanceOutput) {
    awaitTopics(
        Set.of(
            topics.prompts().name(),
            topics.chunks().name(),
            topics.sessions().name(),
            topics.deadLetters().name(),
            topics.cancellations().name()),
        instanceAlive,
        instanceOutput);
  }

  /** Waits until an instance whose applications declare remote tools has created the topics. */
  void awaitToolTopics(
      Topics topics, BooleanSupplier instanceAlive, Supplier<String> instanceOutput) {
    awaitTopics(topics, instanceAlive, instanceOutput);
    awaitTopics(
        Set.of(topics.toolCalls().name(), topics.toolResults().name()),
        instanceAlive,
        instanceOutput);
  }

  private void awaitTopics(
      Set<String> names, BooleanSupplier instanceAlive, Supplier<String> instanceOutput) {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .failFast(
              () ->
                  assertThat(instanceAlive.getAsBoolean())
                      .as(() -> "instance exited:\n" + instanceOutput.get())
                      .isTrue())
          .until(() -> admin.listTopics().names().get().containsAll(names));
    }
  }

  KafkaProducer<String, Prompt> promptProducer(Topics topics) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.LINGER_MS_CONFIG,
            5),
        topics.prompts().keySerde().serializer(),
        topics.prompts().valueSerde().serializer());
  }

  static void send(
      KafkaProducer<String, Prompt> producer,
      Topics topics,
      String session,
      String requestId,
      String content) {
    producer.send(
        new ProducerRecord<>(
            topics.prompts().name(),
            session,
            Prompt.newBuilder().setRequestId(requestId).setContent(content).build()));
  }

  TopicFollower<Chunk> chunks(Topics topics, boolean readCommitted) {
    return new TopicFollower<>(
        kafka.bootstrapServers(),
        topics.chunks().name(),
        topics.chunks().valueSerde().deserializer(),
        readCommitted);
  }

  TopicFollower<SessionState> sessions(Topics topics) {
    return new TopicFollower<>(
        kafka.bootstrapServers(),
        topics.sessions().name(),
        topics.sessions().valueSerde().deserializer(),
        true);
  }

  @Override
  public void close() {
    try {
      model.close();
    } finally {
      kafka.close();
    }
  }
}
