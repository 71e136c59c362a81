package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.model.LoopbackHttpServer;
import dev.runnel.model.LoopbackHttpServer.Answer;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.SessionState;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * A model base URL with {@code user:password@} and a {@code ?key=} secret: whatever the call fails
 * with, no secret reaches the end chunk, the session state, the dead letter or the log, even when
 * the server echoes them. The userinfo is sent as HTTP Basic authentication.
 */
@Timeout(60)
class CredentialRedactionTest {
  private static final String PASSWORD = "s3cr3t-pw";
  private static final String QUERY_KEY = "qs3cr3t-key";
  private static final List<String> SECRETS = List.of(PASSWORD, QUERY_KEY);

  @TempDir Path stateDir;
  private LoopbackHttpServer server;
  private ChatModel model;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void start() throws Exception {
    server = new LoopbackHttpServer();
    logs.start();
    root.addAppender(logs);
  }

  @AfterEach
  void stop() {
    root.detachAppender(logs);
    if (model != null) {
      model.close();
    }
    server.close();
  }

  private static String withSecrets(String hostAndPort) {
    return "http://runnel:" + PASSWORD + "@" + hostAndPort + "/v1?key=" + QUERY_KEY;
  }

  private static Map<String, Object> settings(String baseUrl) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_TRANSACTIONAL);
    settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_OPENAI);
    settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, baseUrl);
    settings.put(RunnelConfig.MODEL_API_KEY_ENV_CONFIG, "RUNNEL_TEST_NO_SUCH_VARIABLE");
    settings.put(RunnelConfig.RETRY_MAX_RETRIES_CONFIG, 0);
    return settings;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"closed port", "500", "401"})
  void noSecretReachesTheEndChunkTheStateTheDeadLetterOrTheLog(String failure) throws Exception {
    String hostAndPort;
    if (failure.equals("closed port")) {
      try (ServerSocket socket = new ServerSocket(0)) {
        hostAndPort = "127.0.0.1:" + socket.getLocalPort();
      }
    } else {
      hostAndPort = server.url().substring("http://".length());
      // A server that quotes the request back, secrets and all.
      String echo =
          "{\"error\":{\"message\":\"rejected "
              + withSecrets(hostAndPort)
              + " (password "
              + PASSWORD
              + ", key "
              + QUERY_KEY
              + ")\",\"type\":\"server_error\"}}";
      server.answer(
          new Answer(Integer.parseInt(failure), "application/json", i -> i == 0 ? echo : null));
    }
    Map<String, Object> settings = settings(withSecrets(hostAndPort));
    RunnelConfig config = new RunnelConfig(settings);
    model = ChatModels.create(config);
    assertThat(model.toString()).doesNotContain(SECRETS);

    try (Harness h =
        new Harness(
            stateDir,
            ChatModels.chatAction(config, model),
            settings,
            new RecordingDeltaPublisher())) {
      h.send("s", "r1", "hello");
      await()
          .pollInSameThread()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(10))
          .until(
              () -> {
                h.pump();
                return !h.states("s").isEmpty();
              });

      SessionState state = h.states("s").get(0);
      Chunk end = h.endChunks().get(0);
      DeadLetter dead = h.deadLetters.readValuesToList().get(0);
      List<String> texts = new ArrayList<>();
      texts.add(state.getLastError().getMessage());
      texts.add(end.getError().getMessage());
      texts.add(dead.getMessage());
      texts.add(dead.getError().getMessage());
      for (ILoggingEvent event : logs.list) {
        texts.add(event.getFormattedMessage());
        for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
          texts.add(t.getMessage());
        }
      }
      assertThat(end.getError().getMessage())
          .as("the error still says where")
          .contains("127.0.0.1");
      assertThat(texts).allSatisfy(text -> assertThat(text).doesNotContain(SECRETS));
    }
    if (!failure.equals("closed port")) {
      LoopbackHttpServer.Received request = server.received().get(0);
      assertThat(request.uri()).isEqualTo("/v1/chat/completions?key=" + QUERY_KEY);
      assertThat(request.authorization())
          .isEqualTo(
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString(("runnel:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void aBadBaseUrlIsRejectedWithoutQuotingItsSecrets() throws Exception {
    Path keyFile = Files.writeString(stateDir.resolve("key"), "sk-from-file");
    Map<String, Object> both = settings(withSecrets("127.0.0.1:1"));
    both.put(RunnelConfig.MODEL_API_KEY_FILE_CONFIG, keyFile.toString());
    assertThatThrownBy(() -> ChatModels.create(new RunnelConfig(both)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("API key")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRETS));

    Map<String, Object> malformed = settings("http://runnel:" + PASSWORD + " x@127.0.0.1/v1");
    assertThatThrownBy(() -> ChatModels.create(new RunnelConfig(malformed)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not a valid URL")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
  }
}
