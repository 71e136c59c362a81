package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.agent.Agent;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.testkit.ActionTestDriver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An MCP tool called in a run: the agent, on Runnel's topology (the test kit), asks the simulated
 * model, which asks for server-everything's {@code echo}; the tools step calls it on the real
 * server process over stdio, and the model goes on with its result.
 */
@Tag("integration")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class McpAgentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REPLY_TOKENS = 6;
  private static SimulatedModelServer model;
  private static McpTools everything;

  @BeforeAll
  static void start() throws Exception {
    ReferenceServer.install();
    model =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ZERO)
                .withTokensPerSecond(1000)
                .withReplyTokens(REPLY_TOKENS));
    everything = ReferenceServer.stdio().connect();
  }

  @AfterAll
  static void stop() {
    if (everything != null) {
      everything.close();
    }
    if (model != null) {
      model.close();
    }
  }

  @Test
  void theModelAsksForAnMcpToolTheServerAnswersAndTheModelGoesOnWithItsResult() throws Exception {
    String prompt = "hello from runnel [[sim tool=echo]]";
    try (ActionTestDriver driver =
        ActionTestDriver.builder(
                Agent.builder(
                        "agent", OpenAiChatModel.builder().baseUrl(model.openAiBaseUrl()).build())
                    .tool(everything.tool("echo"))
                    .build())
            .awaitLimit(Duration.ofSeconds(60))
            .build()) {
      String request = driver.send("s", prompt);
      SessionState state = driver.awaitFinal("s", request);

      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(state.getVersion()).isEqualTo(3); // model, tools, model
      List<Message> conversation = state.getMessages();
      assertThat(conversation)
          .extracting(Message::getRole)
          .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
      Message asked = conversation.get(1);
      assertThat(asked.getToolCalls())
          .extracting(c -> c.getName().toString(), c -> c.getArguments().toString())
          .containsExactly(tuple("echo", "{\"message\":\"hello from runnel\"}"));
      // The real server's answer, as the tools step put it in the conversation.
      Message result = conversation.get(2);
      assertThat(result.getToolCallId()).isEqualTo(asked.getToolCalls().get(0).getId());
      assertThat(result.getContent()).isEqualTo("Echo: hello from runnel");

      // The model's next call carried that answer, and its reply is the run's answer.
      RecordedRequest second = model.requests().stream().reduce((a, b) -> b).orElseThrow();
      JsonNode sent = JSON.readTree(second.body()).path("messages");
      assertThat(sent.get(2).path("role").asText()).isEqualTo("tool");
      assertThat(sent.get(2).path("content").asText()).isEqualTo("Echo: hello from runnel");
      String answer = SimulatedReplies.reply(prompt, REPLY_TOKENS);
      assertThat(driver.rebuiltText(request)).isEqualTo(answer);
      assertThat(conversation.get(3).getContent()).isEqualTo(answer);

      assertThat(driver.chunks().stream().filter(Chunk::getEnd)).hasSize(1);
      assertThat(driver.states("s"))
          .extracting(SessionState::getVersion, SessionState::getLastStatus)
          .containsExactly(
              tuple(1L, RequestStatus.RUNNING),
              tuple(2L, RequestStatus.RUNNING),
              tuple(3L, RequestStatus.COMPLETED));
      assertThat(driver.deadLetters()).isEmpty();
    }
  }
}
