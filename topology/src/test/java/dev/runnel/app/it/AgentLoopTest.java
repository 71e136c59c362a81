package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.agent.Agent;
import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ToolSpec;
import dev.runnel.model.anthropic.AnthropicChatModel;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.tool.Tool;
import dev.runnel.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The built-in agent loop against the simulated model, in each provider's wire format: the model
 * asks for an in-process tool (its call streamed as tool-call fragments), the tool step answers it,
 * and the model's next call carries the call and its result in the provider's form (the simulator
 * refuses a tool call left unanswered, as the providers do) and answers with text.
 */
@Tag("integration")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class AgentLoopTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ItEnvironment env;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    env = ItEnvironment.start();
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  private static Tool weather() throws Exception {
    JsonNode parameters =
        JSON.readTree(
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                + "\"required\":[\"city\"]}");
    return Tool.of(
        new ToolSpec("weather", "The weather in a city", parameters),
        arguments -> "sunny in " + arguments.path("city").asText());
  }

  private static ChatModel model(String provider) {
    return provider.equals("anthropic")
        ? AnthropicChatModel.builder().baseUrl(env.model.anthropicBaseUrl()).build()
        : OpenAiChatModel.builder().baseUrl(env.model.openAiBaseUrl()).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void theModelAsksForAToolTheToolAnswersAndTheModelGoesOnWithItsResult(
      String provider, TestInfo info) throws Exception {
    String id = ItEnvironment.uniqueId(info);
    Map<String, Object> settings =
        env.settings(id, Files.createDirectories(dir.resolve("a")), RunnelConfig.LANE_IMMEDIATE);
    RunnelConfig config = new RunnelConfig(settings);
    Topics topics = Topics.from(config);
    int before = env.model.requests().size();

    try (Runnel runnel =
            Runnel.builder(config)
                .application(Agent.builder("agent", model(provider)).tool(weather()).build())
                .start();
        TopicFollower<Chunk> chunks = env.chunks(topics, true);
        TopicFollower<SessionState> states = env.sessions(topics);
        KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
      ItEnvironment.send(producer, topics, "s", "r1", "Paris [[sim tool=weather]]");
      producer.flush();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> chunks.values().stream().anyMatch(Chunk::getEnd));

      List<Chunk> all = chunks.values();
      Chunk end = all.stream().filter(Chunk::getEnd).findFirst().orElseThrow();
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.STOP);
      assertThat(end.getStep()).isEqualTo(2);
      assertThat(end.getAction()).isEqualTo(Agent.MODEL);
      // Step 0 streams the call as the model writes it: its name first, then its arguments.
      List<Chunk> fragments = all.stream().filter(c -> c.getToolCall() != null).toList();
      assertThat(fragments).allSatisfy(c -> assertThat(c.getStep()).isZero());
      assertThat(fragments.get(0).getToolCall().getName()).isEqualTo("weather");
      assertThat(
              fragments.stream()
                  .map(c -> c.getToolCall().getArguments().toString())
                  .reduce("", String::concat))
          .isEqualTo("{\"city\":\"Paris\"}");
      assertThat(all.stream().filter(c -> c.getStep() == 2 && !c.getEnd()))
          .isNotEmpty()
          .allSatisfy(c -> assertThat(c.getDelta().toString()).isNotEmpty());

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Replies.latest(states.values()).get("s").getVersion() == 3);
      List<Message> conversation = Replies.latest(states.values()).get("s").getMessages();
      assertThat(conversation)
          .extracting(Message::getRole)
          .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
      Message asked = conversation.get(1);
      assertThat(asked.getToolCalls())
          .extracting(c -> c.getName().toString(), c -> c.getArguments().toString())
          .containsExactly(tuple("weather", "{\"city\":\"Paris\"}"));
      Message result = conversation.get(2);
      assertThat(result.getToolCallId()).isEqualTo(asked.getToolCalls().get(0).getId());
      assertThat(result.getContent()).isEqualTo("sunny in Paris");

      // The second model call sent the call and its result in the provider's own form.
      List<RecordedRequest> requests = env.model.requests();
      assertThat(requests.subList(before, requests.size())).hasSize(2);
      JsonNode second = JSON.readTree(requests.get(requests.size() - 1).body());
      String callId = asked.getToolCalls().get(0).getId();
      JsonNode messages = second.path("messages");
      if (provider.equals("openai")) {
        assertThat(messages.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo(callId);
        assertThat(messages.get(2).path("role").asText()).isEqualTo("tool");
        assertThat(messages.get(2).path("tool_call_id").asText()).isEqualTo(callId);
        assertThat(messages.get(2).path("content").asText()).isEqualTo("sunny in Paris");
      } else {
        JsonNode blocks = messages.get(1).path("content");
        JsonNode use = blocks.get(blocks.size() - 1);
        assertThat(use.path("type").asText()).isEqualTo("tool_use");
        assertThat(use.path("input").path("city").asText()).isEqualTo("Paris");
        JsonNode answer = messages.get(2).path("content").get(0);
        assertThat(messages.get(2).path("role").asText()).isEqualTo("user");
        assertThat(answer.path("type").asText()).isEqualTo("tool_result");
        assertThat(answer.path("tool_use_id").asText()).isEqualTo(callId);
      }
      assertThat(runnel.replacedThreads()).isZero();
    }
  }
}
