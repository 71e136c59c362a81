package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.agent.Agent;
import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolSpec;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.PromptTool;
import dev.runnel.schemas.PromptToolResult;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tools of a prompt's sender (client tools), through the chat action over the real OpenAI client
 * against the simulated model: offered to the model, a reply calling one ends the run with {@code
 * TOOL_CALLS} and leaves the call open, and the next prompt's results become tool messages.
 */
@Timeout(60)
class ClientToolsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PromptTool LOOKUP =
      new PromptTool(
          "lookup",
          "Looks a name up",
          "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}");

  @TempDir Path stateDir;
  private SimulatedModelServer server;
  private ChatModel model;

  @BeforeEach
  void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(5))
                .withTokensPerSecond(500)
                .withReplyTokens(4));
  }

  @AfterEach
  void stop() {
    if (model != null) {
      model.close();
    }
    server.close();
  }

  private RunnelConfig config() {
    Map<String, Object> settings = new HashMap<>();
    settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
    settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, server.openAiBaseUrl());
    return new RunnelConfig(settings);
  }

  private Harness chat() {
    RunnelConfig config = config();
    model = ChatModels.create(config);
    return new Harness(
        stateDir, ChatModels.chatAction(config, model), Map.of(), new RecordingDeltaPublisher());
  }

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

  private static Prompt asking(String requestId) {
    return Prompt.newBuilder()
        .setRequestId(requestId)
        .setContent("[[sim tool=lookup]] Ada")
        .setTools(List.of(LOOKUP))
        .build();
  }

  private static Prompt answering(String requestId, String callId, String content) {
    return Prompt.newBuilder()
        .setRequestId(requestId)
        .setContent("")
        .setTools(List.of(LOOKUP))
        .setToolResults(List.of(new PromptToolResult(callId, content)))
        .build();
  }

  private String askedCallId(Harness h) {
    return h.allChunks().stream()
        .filter(c -> c.getToolCall() != null && c.getToolCall().getId() != null)
        .map(c -> c.getToolCall().getId())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aReplyCallingAClientToolEndsTheRunAndTheNextPromptAnswersIt() throws Exception {
    try (Harness h = chat()) {
      h.prompts.pipeInput("s", asking("r1"));
      pumpUntilStates(h, "s", 1);

      JsonNode offered = JSON.readTree(server.requests().get(0).body()).path("tools");
      assertThat(offered.get(0).at("/function/name").asText()).isEqualTo("lookup");
      assertThat(offered.get(0).at("/function/description").asText()).isEqualTo("Looks a name up");
      Chunk end = h.endChunks().get(0);
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.TOOL_CALLS);
      SessionState asked = h.states("s").get(0);
      assertThat(asked.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      Message reply = asked.getMessages().get(1);
      String callId = askedCallId(h);
      assertThat(reply.getToolCalls()).hasSize(1);
      assertThat(reply.getToolCalls().get(0).getId()).isEqualTo(callId);
      assertThat(reply.getToolCalls().get(0).getName()).isEqualTo("lookup");
      assertThat(asked.getMessages()).hasSize(2);

      h.prompts.pipeInput("s", answering("r2", callId, "born 1815"));
      pumpUntilStates(h, "s", 2);

      SessionState answered = h.states("s").get(1);
      assertThat(answered.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(answered.getMessages())
          .extracting(Message::getRole)
          .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
      Message tool = answered.getMessages().get(2);
      assertThat(tool.getToolCallId()).isEqualTo(callId);
      assertThat(tool.getContent()).isEqualTo("born 1815");
      // the model read the real result, not the placeholder for a call left unanswered
      RecordedRequest second = server.requests().get(1);
      JsonNode messages = JSON.readTree(second.body()).path("messages");
      JsonNode last = messages.get(messages.size() - 1);
      assertThat(last.path("role").asText()).isEqualTo("tool");
      assertThat(last.path("content").asText()).isEqualTo("born 1815");
      assertThat(second.body()).doesNotContain("the run ended before this call was answered");
      assertThat(h.endChunks().get(1).getFinishReason()).isEqualTo(FinishReason.STOP);
    }
  }

  @Test
  void aResultForACallTheConversationDoesNotHoldOpenIsADeadLetter() {
    try (Harness h = chat()) {
      h.prompts.pipeInput("s", asking("r1"));
      pumpUntilStates(h, "s", 1);

      h.prompts.pipeInput("s", answering("r2", "call_unknown", "x"));
      pumpUntilStates(h, "s", 2);

      SessionState state = h.states("s").get(1);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(state.getLastError().getMessage()).contains("call_unknown");
      assertThat(state.getMessages()).hasSize(2);
      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("REQUEST_FAILED");
      assertThat(letter.getRequestId()).isEqualTo("r2");
      assertThat(server.requests()).hasSize(1);
    }
  }

  @Test
  void aReplyCallingAToolNobodyOfferedFailsTheRun() {
    ScriptedModel scripted =
        ScriptedModel.manual()
            .thenCall(call -> call.completeWithToolCalls(List.of(new ToolCall("c1", "rm", "{}"))));
    try (Harness h = new Harness(stateDir, scripted, Map.of())) {
      h.prompts.pipeInput("s", asking("r1"));
      pumpUntilStates(h, "s", 1);

      assertThat(scripted.lastCall().request().tools())
          .extracting(ToolSpec::name)
          .containsExactly("lookup");
      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(state.getLastError().getMessage()).contains("'rm'", "[lookup]");
      assertThat(state.getMessages()).isEmpty();
      assertThat(h.deadLetters.readValue().getReason()).isEqualTo("REQUEST_FAILED");
    }
  }

  @Test
  void aMalformedClientToolIsADeadLetterNamingIt() {
    try (Harness h = chat()) {
      h.prompts.pipeInput(
          "s",
          Prompt.newBuilder()
              .setRequestId("r1")
              .setContent("hi")
              .setTools(List.of(new PromptTool("bad name", "", "{\"type\":\"object\"}")))
              .build());
      h.pump();

      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("INVALID_TOOLS");
      assertThat(letter.getMessage()).contains("bad name");
      assertThat(server.requests()).isEmpty();
    }
  }

  @Test
  void aJsonPromptCarriesToolsAndToolResults() throws Exception {
    try (Harness h = chat()) {
      h.rawPrompts.pipeInput(
          "s".getBytes(StandardCharsets.UTF_8),
          ("{\"requestId\":\"r1\",\"content\":\"[[sim tool=lookup]] Ada\",\"tools\":[{\"name\":"
                  + "\"lookup\",\"parameters\":\"{\\\"type\\\":\\\"object\\\",\\\"properties\\\":"
                  + "{\\\"name\\\":{\\\"type\\\":\\\"string\\\"}}}\"}]}")
              .getBytes(StandardCharsets.UTF_8));
      pumpUntilStates(h, "s", 1);
      String callId = askedCallId(h);

      h.rawPrompts.pipeInput(
          "s".getBytes(StandardCharsets.UTF_8),
          ("{\"requestId\":\"r2\",\"content\":\"\",\"toolResults\":[{\"callId\":\""
                  + callId
                  + "\",\"content\":\"born 1815\"}]}")
              .getBytes(StandardCharsets.UTF_8));
      pumpUntilStates(h, "s", 2);

      Message tool = h.states("s").get(1).getMessages().get(2);
      assertThat(tool.getToolCallId()).isEqualTo(callId);
      assertThat(tool.getContent()).isEqualTo("born 1815");
    }
  }

  @Test
  void anAgentRefusesClientTools() {
    RunnelConfig config = config();
    model = ChatModels.create(config);
    try (Harness h = new Harness(stateDir, Agent.builder("agent", model).build(), Map.of())) {
      h.prompts.pipeInput("s", asking("r1"));
      pumpUntilStates(h, "s", 1);

      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(state.getLastError().getMessage()).contains("agent 'agent'", "own tools only");
      assertThat(server.requests()).isEmpty();
    }
  }
}
