package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chat action, built from configuration over the real OpenAI-compatible client, driven by the
 * processor on a TopologyTestDriver against the simulated model server over loopback HTTP.
 */
@Timeout(60)
class ChatActionThroughProcessorTest {
  private static final int REPLY_TOKENS = 12;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path stateDir;
  private SimulatedModelServer server;
  private ChatModel model;

  @BeforeEach
  void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(200)
                .withReplyTokens(REPLY_TOKENS));
  }

  @AfterEach
  void stop() {
    if (model != null) {
      model.close();
    }
    server.close();
  }

  private Harness harness(String lane, Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>(extra);
    settings.put(RunnelConfig.DELTA_LANE_CONFIG, lane);
    settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
    settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, server.openAiBaseUrl());
    settings.put(RunnelConfig.MODEL_SYSTEM_PROMPT_CONFIG, "You are a river.");
    RunnelConfig config = new RunnelConfig(settings);
    model = ChatModels.create(config);
    return new Harness(
        stateDir, ChatModels.chatAction(config, model), settings, new RecordingDeltaPublisher());
  }

  /** Advances wall-clock time until the session has {@code count} states. */
  private static void pumpUntilStates(Harness h, String session, int count) {
    await()
        .pollInSameThread()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              h.pump();
              return h.states(session).size() >= count;
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_TRANSACTIONAL, RunnelConfig.LANE_IMMEDIATE})
  void replyStreamsIntoTheChunkTopicAndTheConversationIntoTheStateTopic(String lane) {
    String prompt = "Where does the river go? 你好 🚀";
    String expected = SimulatedReplies.reply(prompt, REPLY_TOKENS);
    try (Harness h = harness(lane, Map.of())) {
      h.send("session-1", "request-1", prompt);
      pumpUntilStates(h, "session-1", 1);

      List<Chunk> deltas = h.allChunks().stream().filter(c -> !c.getEnd()).toList();
      assertThat(deltas).hasSize(REPLY_TOKENS);
      assertThat(h.rebuiltText("request-1")).isEqualTo(expected);
      Chunk end = h.endChunks().get(0);
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.STOP);
      assertThat(end.getTextLength()).isEqualTo(expected.length());

      SessionState state = h.states("session-1").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(state.getMessages())
          .extracting(Message::getRole, Message::getContent)
          .containsExactly(Tuple.tuple(Role.USER, prompt), Tuple.tuple(Role.ASSISTANT, expected));
      assertThat(state.getUsage().getCompletionTokens()).isEqualTo(REPLY_TOKENS);
    }
  }

  @Test
  void nextPromptCarriesTheConversationAndTheSystemPrompt() throws Exception {
    try (Harness h = harness(RunnelConfig.LANE_TRANSACTIONAL, Map.of())) {
      h.send("s", "r1", "first question");
      pumpUntilStates(h, "s", 1);
      h.send("s", "r2", "second question");
      pumpUntilStates(h, "s", 2);

      RecordedRequest second = server.requests().get(1);
      JsonNode messages = JSON.readTree(second.body()).path("messages");
      assertThat(messages).hasSize(4);
      assertThat(messages.get(0).path("role").asText()).isEqualTo("system");
      assertThat(messages.get(0).path("content").asText()).isEqualTo("You are a river.");
      assertThat(messages.get(2).path("content").asText())
          .isEqualTo(SimulatedReplies.reply("first question", REPLY_TOKENS));
      assertThat(h.states("s").get(1).getMessages()).hasSize(4);
    }
  }

  @Test
  void aNonRetriableModelErrorFailsTheRequestWithoutAdvancingTheConversation() {
    try (Harness h = harness(RunnelConfig.LANE_TRANSACTIONAL, Map.of())) {
      h.send("s", "r1", "[[sim fault=unauthorized]] hello");
      pumpUntilStates(h, "s", 1);

      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(state.getLastError().getKind()).isEqualTo("AUTHENTICATION");
      assertThat(state.getMessages()).isEmpty();
      assertThat(server.requests()).hasSize(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_TRANSACTIONAL, RunnelConfig.LANE_IMMEDIATE})
  void aReplyLongerThanTheReplyLimitIsCutThereAndEndsWithLength(String lane) {
    String prompt = "Tell me everything";
    String full = SimulatedReplies.reply(prompt, REPLY_TOKENS);
    int limit = full.length() / 2;
    try (Harness h = harness(lane, Map.of(RunnelConfig.REPLY_MAX_CHARS_CONFIG, limit))) {
      h.send("s", "r1", prompt);
      pumpUntilStates(h, "s", 1);

      String kept = h.rebuiltText("r1");
      assertThat(kept).hasSizeBetween(limit - 1, limit).isEqualTo(full.substring(0, kept.length()));
      Chunk end = h.endChunks().get(0);
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(end.getTextLength()).isEqualTo(kept.length());
      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(state.getMessages().get(1).getContent()).isEqualTo(kept);
    }
  }
}
