package dev.runnel.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.ChatModels;
import dev.runnel.app.Runnel;
import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatModel;
import dev.runnel.model.FinishReason;
import dev.runnel.model.TokenUsage;
import dev.runnel.processor.KafkaDeltaPublisher;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runnel against a broker that accepts only SASL_SSL with SCRAM and enforces ACLs. With the ACLs
 * the README lists, {@link Runnel} configured with nothing but settings answers prompts (its topic
 * check, its exactly-once Streams application and its immediate-lane producer all authenticate).
 * Without them, Runnel's clients (wired here directly, to see each client's own error) fail with
 * Kafka's authorization error naming what was refused.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SaslSslAclTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static SaslSslKafka kafka;

  @TempDir Path stateDir;
  private String applicationId;
  private String user;
  private String password;
  private Topics topics;
  private RunnelConfig config;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = SaslSslKafka.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @BeforeEach
  void topicsAndUser(TestInfo test) throws Exception {
    String id = test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    applicationId = "runnel-" + id;
    user = "svc-" + id;
    password = SaslSslKafka.secret();
    Map<String, Object> settings = new HashMap<>();
    settings.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, "prompts-" + id);
    settings.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, "cancellations-" + id);
    settings.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, "chunks-" + id);
    settings.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, "sessions-" + id);
    settings.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, "dead-letters-" + id);
    settings.put(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_IMMEDIATE);
    config = new RunnelConfig(settings);
    topics = Topics.from(config);
    try (Admin admin = kafka.admin()) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topics.prompts().name(), 2, (short) 1),
                  new NewTopic(topics.cancellations().name(), 2, (short) 1),
                  new NewTopic(topics.chunks().name(), 2, (short) 1),
                  new NewTopic(topics.sessions().name(), 2, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact")),
                  new NewTopic(topics.deadLetters().name(), 2, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    kafka.addUser(user, password);
  }

  @Test
  void withTheDocumentedAclsRunnelAnswersPromptsOverSaslSsl() throws Exception {
    grant(EnumSet.allOf(DocumentedAcls.class));
    Map<String, Object> settings = new HashMap<>(config.originals());
    settings.putAll(kafka.clientSettings(user, password));
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    settings.put(RunnelConfig.TOPIC_CREATE_CONFIG, false);
    settings.put(RunnelConfig.METRICS_PORT_CONFIG, 0);

    // The security settings reach every client the application creates (topic check, Streams,
    // immediate lane) only through its configuration.
    RunnelConfig config = new RunnelConfig(settings);
    try (Runnel app =
        Runnel.builder(config).action(ChatModels.chatAction(config, new EchoModel())).start()) {
      sendPrompt("alice", "hello over TLS");

      List<Chunk> chunks = new ArrayList<>();
      AtomicReference<SessionState> state = new AtomicReference<>();
      try (KafkaConsumer<String, Chunk> chunkReader = reader(topics.chunks());
          KafkaConsumer<String, SessionState> stateReader = reader(topics.sessions())) {
        await()
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  assertThat(app.streams().state()).isNotEqualTo(KafkaStreams.State.ERROR);
                  chunkReader.poll(Duration.ofMillis(100)).forEach(r -> chunks.add(r.value()));
                  stateReader.poll(Duration.ofMillis(100)).forEach(r -> state.set(r.value()));
                  assertThat(chunks).anyMatch(Chunk::getEnd);
                  assertThat(state.get()).isNotNull();
                });
      }
      String deltas =
          chunks.stream()
              .filter(c -> !c.getEnd())
              .map(Chunk::getDelta)
              .collect(Collectors.joining());
      assertThat(deltas)
          .as("deltas from the immediate lane's producer")
          .isEqualTo("echo: hello over TLS");
      assertThat(state.get().getVersion()).isEqualTo(1L);
      assertThat(state.get().getMessages())
          .extracting(Message::getContent)
          .containsExactly("hello over TLS", "echo: hello over TLS");
      assertThat(app.replacedThreads()).as("no stream thread died").isZero();
    }
  }

  @Test
  void withoutAclsEachClientFailsNamingWhatWasRefused() throws Exception {
    try (RunningRunnel runnel = startRunnel()) {
      await().atMost(WAIT).until(() -> runnel.failure() != null);

      assertThat(runnel.failure())
          .as("the Streams application's failure names the input topics")
          .hasRootCauseInstanceOf(TopicAuthorizationException.class)
          .rootCause()
          .hasMessageContaining(topics.prompts().name())
          .hasMessageContaining(topics.cancellations().name());
      Chunk delta =
          Chunk.newBuilder()
              .setSessionId("alice")
              .setRequestId("r-1")
              .setAttempt(1)
              .setSequence(0)
              .setDelta("hi")
              .setFinishReason(null)
              .setUsage(null)
              .setError(null)
              .build();
      Throwable sendFailure =
          runnel.publisher.send(delta).toCompletableFuture().handle((ok, error) -> error).join();
      assertThat(sendFailure)
          .as("the immediate lane's failure names the chunks topic")
          .isInstanceOf(TopicAuthorizationException.class)
          .hasMessageContaining(topics.chunks().name());
    }
  }

  @Test
  void withoutTheGroupAclTheFailureNamesTheApplicationsGroup() throws Exception {
    grant(EnumSet.complementOf(EnumSet.of(DocumentedAcls.GROUP)));

    try (RunningRunnel runnel = startRunnel()) {
      await().atMost(WAIT).until(() -> runnel.failure() != null);

      assertThat(runnel.failure())
          .hasRootCauseInstanceOf(GroupAuthorizationException.class)
          .rootCause()
          .hasMessageContaining(applicationId);
    }
  }

  @Test
  void withoutTheTransactionalIdAclExactlyOnceFailsClearly() throws Exception {
    grant(EnumSet.complementOf(EnumSet.of(DocumentedAcls.TRANSACTIONAL_IDS)));

    try (RunningRunnel runnel = startRunnel()) {
      await().atMost(WAIT).until(() -> runnel.failure() != null);

      assertThat(runnel.failure())
          .hasRootCauseInstanceOf(TransactionalIdAuthorizationException.class);
    }
  }

  @Test
  void withoutWriteOnTheOutputsTheFirstFinalFailsNamingTheSessionsTopic() throws Exception {
    grant(EnumSet.complementOf(EnumSet.of(DocumentedAcls.OUTPUTS)));

    try (RunningRunnel runnel = startRunnel()) {
      sendPrompt("bob", "anyone there?");
      await().atMost(WAIT).until(() -> runnel.failure() != null);

      assertThat(runnel.failure())
          .hasRootCauseInstanceOf(TopicAuthorizationException.class)
          .rootCause()
          .hasMessageContaining(topics.sessions().name());
    }
  }

  private void grant(Set<DocumentedAcls> rows) throws Exception {
    List<AclBinding> bindings = new ArrayList<>();
    for (DocumentedAcls row : rows) {
      bindings.addAll(row.bindings("User:" + user, applicationId, topics));
    }
    try (Admin admin = kafka.admin()) {
      admin.createAcls(bindings).all().get(30, TimeUnit.SECONDS);
    }
  }

  private void sendPrompt(String session, String text) throws Exception {
    Topic<String, Prompt> prompts = topics.prompts();
    Prompt prompt =
        Prompt.newBuilder().setRequestId(session + "-1").setContent(text).setModel(null).build();
    try (KafkaProducer<String, Prompt> producer =
        new KafkaProducer<>(
            kafka.adminClientSettings(),
            prompts.keySerde().serializer(),
            prompts.valueSerde().serializer())) {
      producer
          .send(new ProducerRecord<>(prompts.name(), session, prompt))
          .get(30, TimeUnit.SECONDS);
    }
  }

  private <V> KafkaConsumer<String, V> reader(Topic<String, V> topic) {
    Map<String, Object> settings = new HashMap<>(kafka.adminClientSettings());
    settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    settings.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic.name());
    KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(
            settings, Serdes.String().deserializer(), topic.valueSerde().deserializer());
    consumer.subscribe(List.of(topic.name()));
    return consumer;
  }

  /**
   * Starts Runnel's clients the way the application does: one set of connection and security
   * settings given to the Streams application and to the immediate lane's producer.
   */
  private RunningRunnel startRunnel() throws Exception {
    Map<String, Object> client = kafka.clientSettings(user, password);
    KafkaDeltaPublisher publisher = KafkaDeltaPublisher.create(client, topics.chunks());
    Properties streams = new Properties();
    streams.putAll(client);
    streams.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    streams.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    streams.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir).toString());
    streams.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    streams.put(StreamsConfig.POLL_MS_CONFIG, 10);
    streams.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    KafkaStreams app =
        new KafkaStreams(
            RunnelTopology.build(
                config, new ChatAction(new EchoModel(), "", 0), Optional.of(publisher)),
            streams);
    RunningRunnel running = new RunningRunnel(app, publisher);
    app.setUncaughtExceptionHandler(
        error -> {
          running.failure.compareAndSet(null, error);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    app.start();
    return running;
  }

  private static final class RunningRunnel implements AutoCloseable {
    final KafkaStreams app;
    final KafkaDeltaPublisher publisher;
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    RunningRunnel(KafkaStreams app, KafkaDeltaPublisher publisher) {
      this.app = app;
      this.publisher = publisher;
    }

    Throwable failure() {
      return failure.get();
    }

    @Override
    public void close() {
      app.close(Duration.ofSeconds(30));
      publisher.close();
    }
  }

  /** Replies with {@code "echo: <prompt>"}, word by word, at once. */
  private static final class EchoModel implements ChatModel {
    @Override
    public dev.runnel.model.ChatCall stream(
        dev.runnel.model.ChatRequest request, dev.runnel.model.StreamListener listener) {
      String prompt = request.messages().get(request.messages().size() - 1).content();
      String text = "echo: " + prompt;
      for (String word : text.split("(?<= )")) {
        listener.onDelta(word);
      }
      listener.onComplete(
          new ChatCompletion(
              text, FinishReason.STOP, new TokenUsage(3, text.length(), 3 + text.length())));
      return () -> {};
    }
  }
}
