package dev.runnel.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
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
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
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

  private static PostgresServer postgres;
  private static KafkaClusterTestKit kafka;

  @BeforeAll
  static void startServers() throws Exception {
    postgres = PostgresServer.startOrSkip();
    kafka =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("auto.create.topics.enable", "false")
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
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
  void tableFollowsTheSessionsTopicThroughUpdatesAndDeletes(TestInfo test, @TempDir Path work)
      throws Exception {
    String suffix = test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    String sessionsTopic = "sessions-" + suffix;
    try (Admin admin = kafka.admin()) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(sessionsTopic, 3, (short) 1)
                      .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    Topic<String, SessionState> sessions =
        Topics.from(new RunnelConfig(Map.of(RunnelConfig.SESSIONS_TOPIC_CONFIG, sessionsTopic)))
            .sessions();

    Connect<StandaloneHerder> connect = startWorker(work);
    try {
      Map<String, String> sink = shippedSinkConfig();
      sink.put("topics", sessionsTopic);
      sink.put("connection.url", postgres.jdbcUrl());
      sink.put("connection.username", PostgresServer.USER);
      sink.put("connection.password", "");
      sink.put("collection.name.format", "sessions_" + System.nanoTime());
      String table = sink.get("collection.name.format");
      CompletableFuture<Object> created = new CompletableFuture<>();
      connect
          .herder()
          .putConnectorConfig(
              sink.get("name"),
              sink,
              false,
              (error, result) -> {
                if (error != null) {
                  created.completeExceptionally(error);
                } else {
                  created.complete(result);
                }
              });
      created.get(60, TimeUnit.SECONDS);

      SessionState alice1 = state("alice", 1, "hello", "Hi!", RequestStatus.COMPLETED, null);
      SessionState bob1 =
          state(
              "bob",
              1,
              "are you there?",
              null,
              RequestStatus.FAILED,
              new ErrorInfo("TIMEOUT", "no answer", true));
      SessionState alice2 =
          SessionState.newBuilder()
              .setSessionId("alice")
              .setVersion(2)
              .setLastStatus(RequestStatus.COMPLETED)
              .setLastError(null)
              .setMessages(
                  List.of(
                      new Message(Role.USER, "hello", "r-1"),
                      new Message(Role.ASSISTANT, "Hi!", "r-1"),
                      new Message(Role.USER, "and now?", "r-2"),
                      new Message(Role.ASSISTANT, "Now this. 你好", "r-2")))
              .setLastRequestId("r-2")
              .setUsage(new TokenUsage(20L, 9L, 29L))
              .setFields(Map.of("turns", "2"))
              .setUpdatedAt(Instant.ofEpochMilli(1_700_000_060_000L))
              .build();

      try (KafkaProducer<String, SessionState> producer = producer(sessions)) {
        producer.send(new ProducerRecord<>(sessions.name(), "alice", alice1)).get();
        producer.send(new ProducerRecord<>(sessions.name(), "bob", bob1)).get();
        producer.send(new ProducerRecord<>(sessions.name(), "alice", alice2)).get();
      }

      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(() -> assertThat(rows(table)).containsOnlyKeys("alice", "bob"));
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(rows(table).get("alice").get("version")).isEqualTo("2"));
      Map<String, Map<String, String>> rows = rows(table);
      Map<String, String> alice = rows.get("alice");
      assertThat(alice)
          .containsEntry("last_request_id", "r-2")
          .containsEntry("last_status", "completed")
          .containsEntry("prompt_tokens", "20")
          .containsEntry("completion_tokens", "9")
          .containsEntry("total_tokens", "29");
      assertThat(alice.get("last_error")).isNull();
      JsonNode messages = JSON.readTree(alice.get("messages"));
      assertThat(messages).hasSize(4);
      assertThat(messages.get(3).get("role").asText()).isEqualTo("assistant");
      assertThat(messages.get(3).get("content").asText()).isEqualTo("Now this. 你好");
      assertThat(JSON.readTree(alice.get("fields")).get("turns").asText()).isEqualTo("2");
      Map<String, String> bob = rows.get("bob");
      assertThat(bob).containsEntry("version", "1").containsEntry("last_status", "failed");
      assertThat(JSON.readTree(bob.get("last_error")).get("kind").asText()).isEqualTo("TIMEOUT");

      try (KafkaProducer<String, SessionState> producer = producer(sessions)) {
        producer.send(new ProducerRecord<>(sessions.name(), "alice", null)).get();
      }

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(rows(table)).containsOnlyKeys("bob"));
    } finally {
      connect.stop();
      connect.awaitStop();
    }
  }

  private static SessionState state(
      String session,
      long version,
      String prompt,
      String answer,
      RequestStatus status,
      ErrorInfo error) {
    List<Message> messages =
        answer == null
            ? List.of()
            : List.of(
                new Message(Role.USER, prompt, "r-1"), new Message(Role.ASSISTANT, answer, "r-1"));
    return SessionState.newBuilder()
        .setSessionId(session)
        .setVersion(version)
        .setMessages(messages)
        .setLastRequestId("r-1")
        .setLastStatus(status)
        .setLastError(error)
        .setUsage(new TokenUsage(10L, answer == null ? 0L : 3L, answer == null ? 10L : 13L))
        .setFields(Map.of())
        .setUpdatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }

  private static Connect<StandaloneHerder> startWorker(Path work) {
    Map<String, String> worker = new HashMap<>();
    worker.put("bootstrap.servers", kafka.bootstrapServers());
    worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    worker.put("value.converter", SessionStateConverter.class.getName());
    worker.put("offset.storage.file.filename", work.resolve("offsets").toString());
    worker.put("offset.flush.interval.ms", "1000");
    worker.put("listeners", "http://127.0.0.1:0");
    worker.put("plugin.discovery", "only_scan");
    return new ConnectStandalone().startConnect(worker);
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

  private static KafkaProducer<String, SessionState> producer(Topic<String, SessionState> topic) {
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
