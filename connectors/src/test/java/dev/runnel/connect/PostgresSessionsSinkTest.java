package dev.runnel.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.app.ChatModels;
import dev.runnel.app.Runnel;
import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.config.RunnelConfig;
import dev.runnel.connect.internal.SessionRows;
import dev.runnel.model.ModelException;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.testkit.ScriptedModel;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped JDBC sink configuration, run by an in-process Connect worker against an in-process
 * broker and a real PostgreSQL server, keeps the sessions table equal to the sessions topic.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PostgresSessionsSinkTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REJECT = "[[reject]]";

  private static PostgresServer postgres;
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void startServers() throws Exception {
    postgres = PostgresServer.startOrSkip();
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void tableFollowsTheSessionsRunnelWritesAndForgetsDeletedSessions(
      TestInfo test, @TempDir Path work) throws Exception {
    String id = test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    Map<String, Object> settings = new HashMap<>();
    settings.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, "prompts-" + id);
    settings.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, "cancellations-" + id);
    settings.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, "chunks-" + id);
    settings.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, "sessions-" + id);
    settings.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, "dead-letters-" + id);
    settings.put(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_TRANSACTIONAL);
    settings.put(RunnelConfig.RETRY_BACKOFF_INITIAL_MS_CONFIG, 10L);
    RunnelConfig config = new RunnelConfig(settings);
    Topics topics = Topics.from(config);
    String table = "sessions_" + System.nanoTime();

    try (Runnel runnel = startRunnel(config, "runnel-" + id, work.resolve("state"));
        ConnectWorker connect = ConnectWorker.start(work, sinkConfig(topics, table))) {
      sendPrompt(topics, "alice", "a-1", "hello");
      sendPrompt(topics, "bob", "b-1", REJECT + " please");
      sendPrompt(topics, "alice", "a-2", "and now? 你好");

      await()
          .atMost(Duration.ofSeconds(120))
          .untilAsserted(
              () -> {
                assertThat(runnel.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(connect.taskStates()).containsOnly("RUNNING");
                Map<String, Map<String, String>> rows = rows(table);
                assertThat(rows).containsOnlyKeys("alice", "bob");
                assertThat(rows.get("alice")).containsEntry("version", "2");
              });
      Map<String, Map<String, String>> rows = rows(table);
      assertThat(rows.values()).allSatisfy(row -> assertThat(row.get("updated_at")).isNotNull());
      assertThat(withoutUpdatedAt(rows))
          .as("every column of every row equals the converted latest record of its key")
          .isEqualTo(withoutUpdatedAt(expectedRows(latestStates(topics.sessions()))));
      Map<String, String> alice = rows.get("alice");
      assertThat(alice)
          .containsEntry("last_request_id", "a-2")
          .containsEntry("last_status", "completed");
      JsonNode messages = JSON.readTree(alice.get("messages"));
      assertThat(messages).hasSize(4);
      assertThat(messages.get(3).get("role").asText()).isEqualTo("assistant");
      assertThat(messages.get(3).get("content").asText()).isEqualTo("echo: and now? 你好");
      Map<String, String> bob = rows.get("bob");
      assertThat(bob).containsEntry("version", "1").containsEntry("last_status", "failed");
      assertThat(JSON.readTree(bob.get("last_error")).get("retriable").asBoolean()).isFalse();
      assertThat(JSON.readTree(bob.get("messages")))
          .as("a failure keeps the conversation")
          .isEmpty();

      try (KafkaProducer<String, SessionState> producer = producer(topics.sessions())) {
        producer.send(new ProducerRecord<>(topics.sessions().name(), "alice", null)).get();
      }

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(rows(table)).containsOnlyKeys("bob"));
    }
  }

  /** Runnel as it runs in production: it creates its topics, then serves them. */
  private static Runnel startRunnel(RunnelConfig config, String applicationId, Path state) {
    Map<String, Object> settings = new HashMap<>(config.originals());
    settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    settings.put(RunnelConfig.TOPIC_PARTITIONS_CONFIG, 2);
    settings.put(RunnelConfig.METRICS_PORT_CONFIG, 0);
    RunnelConfig runnelConfig = new RunnelConfig(settings);
    return Runnel.builder(runnelConfig)
        .action(ChatModels.chatAction(runnelConfig, rejectingOrEchoing()))
        .start();
  }

  /**
   * Answers {@code "echo: <prompt>"}; a prompt starting with {@link #REJECT} fails for good with a
   * bad-request error, as a model endpoint refusing it would.
   */
  private static ScriptedModel rejectingOrEchoing() {
    return ScriptedModel.scripted(
        call -> {
          if (call.prompt().startsWith(REJECT)) {
            call.fail(new ModelException(ModelException.Kind.BAD_REQUEST, "prompt rejected"));
          } else {
            call.echo();
          }
        });
  }

  /** The shipped sink configuration, pointed at the test's topic, database and table. */
  private static Map<String, String> sinkConfig(Topics topics, String table) throws Exception {
    Map<String, String> sink = shippedSinkConfig();
    sink.put("topics", topics.sessions().name());
    sink.put("connection.url", postgres.jdbcUrl());
    sink.put("connection.username", PostgresServer.USER);
    sink.put("connection.password", "");
    sink.put("collection.name.format", table);
    return sink;
  }

  private static void sendPrompt(Topics topics, String session, String requestId, String text)
      throws Exception {
    Topic<String, Prompt> prompts = topics.prompts();
    Prompt prompt =
        Prompt.newBuilder().setRequestId(requestId).setContent(text).setModel(null).build();
    try (KafkaProducer<String, Prompt> producer = producer(prompts)) {
      producer
          .send(new ProducerRecord<>(prompts.name(), session, prompt))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** The latest value of each key in the sessions topic, as a compacted read sees it. */
  private static Map<String, SessionState> latestStates(Topic<String, SessionState> sessions) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, SessionState> latest = new TreeMap<>();
    try (KafkaConsumer<String, SessionState> consumer =
        new KafkaConsumer<>(
            settings, sessions.keySerde().deserializer(), sessions.valueSerde().deserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(sessions.name()).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, SessionState> r :
                    consumer.poll(Duration.ofMillis(100))) {
                  latest.put(r.key(), r.value());
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
              });
    }
    latest.values().removeIf(Objects::isNull);
    return latest;
  }

  /** Time columns differ in rendering between Connect and the JDBC driver; compared apart. */
  private static Map<String, Map<String, String>> withoutUpdatedAt(
      Map<String, Map<String, String>> rows) {
    Map<String, Map<String, String>> out = new TreeMap<>();
    rows.forEach(
        (key, row) -> {
          Map<String, String> copy = new HashMap<>(row);
          copy.remove("updated_at");
          out.put(key, copy);
        });
    return out;
  }

  /** The rows the sink should hold for these states: the converter's columns, as text. */
  private static Map<String, Map<String, String>> expectedRows(Map<String, SessionState> states) {
    Map<String, Map<String, String>> rows = new TreeMap<>();
    states.forEach(
        (session, state) -> {
          Struct row = SessionRows.toRow(state);
          Map<String, String> columns = new HashMap<>();
          for (Field field : row.schema().fields()) {
            Object value = row.get(field);
            columns.put(field.name(), value == null ? null : value.toString());
          }
          rows.put(session, columns);
        });
    return rows;
  }

  /** An in-process standalone Connect worker running one connector, as connect-standalone does. */
  private static final class ConnectWorker implements AutoCloseable {
    private final Connect<StandaloneHerder> connect;
    private final String name;

    private ConnectWorker(Connect<StandaloneHerder> connect, String name) {
      this.connect = connect;
      this.name = name;
    }

    static ConnectWorker start(Path work, Map<String, String> connector) throws Exception {
      Map<String, String> worker = new HashMap<>();
      worker.put("bootstrap.servers", kafka.bootstrapServers());
      worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
      worker.put("value.converter", SessionStateConverter.class.getName());
      worker.put("offset.storage.file.filename", work.resolve("connect.offsets").toString());
      worker.put("offset.flush.interval.ms", "1000");
      worker.put("listeners", "http://127.0.0.1:0");
      // Plugins found through their service manifests (KIP-898); scanning this class path took a
      // minute.
      worker.put("plugin.discovery", "service_load");
      ConnectWorker running =
          new ConnectWorker(new ConnectStandalone().startConnect(worker), connector.get("name"));
      try {
        CompletableFuture<Object> created = new CompletableFuture<>();
        running
            .connect
            .herder()
            .putConnectorConfig(
                connector.get("name"),
                connector,
                false,
                (error, result) -> {
                  if (error != null) {
                    created.completeExceptionally(error);
                  } else {
                    created.complete(result);
                  }
                });
        created.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        running.close();
        throw e;
      }
      return running;
    }

    /** States of the connector's tasks; a failed task shows its error here, not as a timeout. */
    List<String> taskStates() {
      return connect.herder().connectorStatus(name).tasks().stream()
          .map(task -> task.state() + (task.trace() == null ? "" : ": " + task.trace()))
          .toList();
    }

    @Override
    public void close() {
      connect.stop();
      connect.awaitStop();
    }
  }

  private static Map<String, String> shippedSinkConfig() throws Exception {
    Properties properties = new Properties();
    try (InputStream in =
        Files.newInputStream(Path.of("config/postgres-sessions-sink.properties"))) {
      properties.load(in);
    }
    Map<String, String> config = new TreeMap<>();
    properties.forEach((k, v) -> config.put((String) k, (String) v));
    return config;
  }

  private static <V> KafkaProducer<String, V> producer(Topic<String, V> topic) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all"),
        topic.keySerde().serializer(),
        topic.valueSerde().serializer());
  }

  /** Every row of the table as column -> text, by session id; empty while the table is missing. */
  private static Map<String, Map<String, String>> rows(String table) throws SQLException {
    Map<String, Map<String, String>> rows = new TreeMap<>();
    try (Connection db = postgres.connect();
        Statement statement = db.createStatement()) {
      ResultSet exists = statement.executeQuery("SELECT to_regclass('public." + table + "')");
      exists.next();
      if (exists.getString(1) == null) {
        return rows;
      }
      try (ResultSet result = statement.executeQuery("SELECT * FROM " + table)) {
        int columns = result.getMetaData().getColumnCount();
        while (result.next()) {
          Map<String, String> row = new HashMap<>();
          for (int i = 1; i <= columns; i++) {
            row.put(result.getMetaData().getColumnName(i), result.getString(i));
          }
          rows.put(row.get("session_id"), row);
        }
      }
    }
    return rows;
  }
}
