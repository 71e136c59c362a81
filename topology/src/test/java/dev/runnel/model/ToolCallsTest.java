package dev.runnel.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.anthropic.AnthropicChatModel;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tool calls through both clients and the simulated model: the tools go out in each provider's
 * form, the calls' fragments reach the listener as they stream, and the completion holds the merged
 * calls.
 */
@Timeout(60)
class ToolCallsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static SimulatedModelServer server;

  @BeforeAll
  static void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(5))
                .withTokensPerSecond(1000)
                .withReplyTokens(3));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static ChatModel client(String provider) {
    return provider.equals("openai")
        ? OpenAiChatModel.builder()
            .baseUrl(server.openAiBaseUrl())
            .apiKey(new Password("sk-test"))
            .build()
        : AnthropicChatModel.builder()
            .baseUrl(server.anthropicBaseUrl())
            .apiKey(new Password("sk-ant-test"))
            .build();
  }

  private static List<ToolSpec> tools() throws Exception {
    return List.of(
        new ToolSpec(
            "search",
            "Searches the web",
            JSON.readTree(
                "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}},"
                    + "\"required\":[\"query\"]}")),
        new ToolSpec("clock", "", JSON.readTree("{\"type\":\"object\",\"properties\":{}}")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void theModelsToolCallsStreamAsFragmentsAndCompleteMerged(String provider) throws Exception {
    String question = "weather in Paris, asked through " + provider;
    String prompt = question + " [[sim tool=search+clock]]";
    RecordingListener listener = new RecordingListener();
    try (ChatModel model = client(provider)) {
      model.stream(new ChatRequest("m", List.of(ChatMessage.user(prompt)), 0, tools()), listener);
      ChatCompletion completion = listener.completion();

      assertThat(completion.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
      assertThat(completion.text()).isEqualTo(listener.text()).isNotEmpty();
      assertThat(completion.toolCalls())
          .extracting(ToolCall::name, call -> json(call.arguments()))
          .containsExactly(
              tuple("search", JSON.createObjectNode().put("query", question)),
              tuple("clock", JSON.readTree("{}")));
      assertThat(completion.toolCalls())
          .extracting(ToolCall::id)
          .doesNotHaveDuplicates()
          .allMatch(id -> !id.isEmpty());

      // Each call's first fragment names it; its fragments, in order, are its arguments.
      assertThat(listener.toolCalls.size()).isGreaterThan(completion.toolCalls().size());
      for (int i = 0; i < completion.toolCalls().size(); i++) {
        int index = i;
        List<ToolCallDelta> fragments =
            listener.toolCalls.stream().filter(d -> d.index() == index).toList();
        ToolCall merged = completion.toolCalls().get(i);
        assertThat(fragments.get(0).id()).isEqualTo(merged.id());
        assertThat(fragments.get(0).name()).isEqualTo(merged.name());
        assertThat(fragments.subList(1, fragments.size()))
            .allMatch(d -> d.id() == null && d.name() == null);
        assertThat(fragments.stream().map(ToolCallDelta::arguments).collect(Collectors.joining()))
            .isEqualTo(merged.arguments());
      }
    }

    JsonNode sent = JSON.readTree(request(prompt).body());
    Function<JsonNode, JsonNode> schemaOf =
        provider.equals("openai")
            ? tool -> tool.path("function").path("parameters")
            : tool -> tool.path("input_schema");
    assertThat(sent.path("tools")).hasSize(2);
    assertThat(schemaOf.apply(sent.path("tools").get(0))).isEqualTo(tools().get(0).parameters());
    if (provider.equals("openai")) {
      assertThat(sent.path("tools").get(0).path("type").asText()).isEqualTo("function");
      assertThat(sent.path("tools").get(0).path("function").path("name").asText())
          .isEqualTo("search");
    } else {
      assertThat(sent.path("tools").get(0).path("name").asText()).isEqualTo("search");
      assertThat(sent.path("tools").get(1).has("description")).isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void theBlockingStreamGivesTheToolCallsWithItsCompletion(String provider) throws Exception {
    try (ChatModel model = client(provider);
        ChatStream stream =
            model.stream(
                new ChatRequest(
                    "m",
                    List.of(ChatMessage.user("what time is it [[sim tool=clock tokens=0]]")),
                    0,
                    tools()))) {
      StringBuilder text = new StringBuilder();
      stream.forEach(text::append);

      assertThat(text.toString()).isEmpty();
      assertThat(stream.completion().toolCalls())
          .extracting(ToolCall::name, ToolCall::arguments)
          .containsExactly(tuple("clock", "{}"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void askingForAToolTheRequestDoesNotOfferIsABadRequestNamingIt(String provider) throws Exception {
    RecordingListener listener = new RecordingListener();
    try (ChatModel model = client(provider)) {
      model.stream(
          new ChatRequest("m", List.of(ChatMessage.user("hi [[sim tool=translate]]")), 0, tools()),
          listener);
      ModelException error = listener.error();

      assertThat(error.kind()).isEqualTo(ModelException.Kind.BAD_REQUEST);
      assertThat(error.getMessage()).contains("tool=translate").contains("[search, clock]");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void callsAndTheirResultsGoBackInTheProvidersForm(String provider) throws Exception {
    String prompt = "Find runnel " + provider;
    List<ChatMessage> conversation =
        List.of(
            ChatMessage.user(prompt),
            ChatMessage.assistant(
                "Looking.",
                List.of(
                    new ToolCall("call_1", "search", "{\"query\":\"runnel\"}"),
                    new ToolCall("call_2", "clock", "{}"))),
            ChatMessage.toolResult("call_1", "3 results"),
            ChatMessage.toolResult("call_2", "12:00"));
    RecordingListener listener = new RecordingListener();
    try (ChatModel model = client(provider)) {
      model.stream(new ChatRequest("m", conversation, 0, tools()), listener);
      assertThat(listener.completion().finishReason()).isEqualTo(FinishReason.STOP);
    }

    JsonNode messages = json(requestContaining(prompt).body()).path("messages");
    if (provider.equals("openai")) {
      assertThat(messages).hasSize(4);
      JsonNode asked = messages.get(1);
      assertThat(asked.path("content").asText()).isEqualTo("Looking.");
      assertThat(asked.path("tool_calls"))
          .extracting(
              c -> c.path("id").asText(),
              c -> c.path("type").asText(),
              c -> c.path("function").path("name").asText(),
              c -> c.path("function").path("arguments").asText())
          .containsExactly(
              tuple("call_1", "function", "search", "{\"query\":\"runnel\"}"),
              tuple("call_2", "function", "clock", "{}"));
      assertThat(messages.get(2).toString())
          .isEqualTo("{\"role\":\"tool\",\"content\":\"3 results\",\"tool_call_id\":\"call_1\"}");
      assertThat(messages.get(3).path("tool_call_id").asText()).isEqualTo("call_2");
    } else {
      // The two results go in one user message, as the Messages API wants them.
      assertThat(messages).hasSize(3);
      assertThat(messages.get(1).path("content"))
          .extracting(b -> b.path("type").asText())
          .containsExactly("text", "tool_use", "tool_use");
      assertThat(messages.get(1).path("content").get(1).path("input"))
          .isEqualTo(JSON.readTree("{\"query\":\"runnel\"}"));
      assertThat(messages.get(2).path("role").asText()).isEqualTo("user");
      assertThat(messages.get(2).path("content"))
          .extracting(b -> b.path("type").asText(), b -> b.path("tool_use_id").asText())
          .containsExactly(tuple("tool_result", "call_1"), tuple("tool_result", "call_2"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void anAssistantMessageWithoutTextSendsNoText(String provider) throws Exception {
    String prompt = "No text " + provider;
    List<ChatMessage> conversation =
        List.of(
            ChatMessage.user(prompt),
            ChatMessage.assistant("", List.of(new ToolCall("call_1", "clock", ""))),
            ChatMessage.toolResult("call_1", "12:00"));
    RecordingListener listener = new RecordingListener();
    try (ChatModel model = client(provider)) {
      model.stream(new ChatRequest("m", conversation, 0, tools()), listener);
      listener.completion();
    }

    JsonNode asked = json(requestContaining(prompt).body()).path("messages").get(1);
    if (provider.equals("openai")) {
      assertThat(asked.path("content").isNull()).isTrue();
    } else {
      assertThat(asked.path("content"))
          .singleElement()
          .satisfies(b -> assertThat(b.path("input")).isEqualTo(JSON.readTree("{}")));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic"})
  void aCallLeftUnansweredIsRefusedAsTheProvidersRefuseIt(String provider) throws Exception {
    List<ChatMessage> conversation =
        List.of(
            ChatMessage.user("Unanswered " + provider),
            ChatMessage.assistant("", List.of(new ToolCall("call_9", "clock", "{}"))),
            ChatMessage.user("and?"));
    RecordingListener listener = new RecordingListener();
    try (ChatModel model = client(provider)) {
      model.stream(new ChatRequest("m", conversation, 0, tools()), listener);
      ModelException error = listener.error();

      assertThat(error.kind()).isEqualTo(ModelException.Kind.BAD_REQUEST);
      assertThat(error.getMessage())
          .contains("tool calls [call_9] are not answered right after the message that asked");
    }
  }

  @Test
  void argumentsThatAreNoJsonObjectCannotGoToAnthropicAndTheCallSaysWhy() throws Exception {
    List<ChatMessage> conversation =
        List.of(
            ChatMessage.user("Bad arguments"),
            ChatMessage.assistant("", List.of(new ToolCall("call_1", "search", "[1,2"))),
            ChatMessage.toolResult("call_1", "?"));
    RecordingListener listener = new RecordingListener();
    try (ChatModel model = client("anthropic")) {
      model.stream(new ChatRequest("m", conversation, 0, tools()), listener);
      ModelException error = listener.error();

      assertThat(error.kind()).isEqualTo(ModelException.Kind.BAD_REQUEST);
      assertThat(error.getMessage())
          .isEqualTo(
              "tool call call_1 (search) has arguments that are not a JSON object, which"
                  + " Anthropic's tool_use input must be");
    }
  }

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The request whose conversation holds {@code text} (its last user message may be results). */
  private static RecordedRequest requestContaining(String text) {
    return server.requests().stream()
        .filter(r -> r.body().contains(text))
        .findFirst()
        .orElseThrow();
  }

  private static RecordedRequest request(String prompt) {
    return server.requests().stream()
        .filter(r -> r.prompt().equals(prompt))
        .findFirst()
        .orElseThrow();
  }
}
