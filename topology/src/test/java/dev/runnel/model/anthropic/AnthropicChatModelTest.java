package dev.runnel.model.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.RecordingListener;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Anthropic Messages client against the simulated server over real HTTP on loopback. */
@Timeout(60)
class AnthropicChatModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static SimulatedModelServer server;
  private static AnthropicChatModel model;

  @BeforeAll
  static void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(5))
                .withTokensPerSecond(1000)
                .withReplyTokens(20));
    model =
        AnthropicChatModel.builder()
            .baseUrl(server.anthropicBaseUrl())
            .apiKey(new Password("sk-ant-secret"))
            .build();
  }

  @AfterAll
  static void stop() {
    model.close();
    server.close();
  }

  private static RecordedRequest lastRequestWith(String prompt) {
    return server.requests().stream()
        .filter(r -> r.prompt().equals(prompt))
        .reduce((a, b) -> b)
        .orElseThrow();
  }

  @ParameterizedTest(name = "options [{0}]")
  @ValueSource(strings = {"", "split=1", "wire=varied", "wire=varied;split=3"})
  void replyArrivesIntactWithUsageDespitePingsAndUnknownEvents(String options) throws Exception {
    String prompt = "Anthropic says hi " + options;
    if (!options.isEmpty()) {
      server.enqueue(options);
    }
    RecordingListener listener = new RecordingListener();
    model.stream(new ChatRequest("claude-sim", List.of(ChatMessage.user(prompt))), listener);

    ChatCompletion completion = listener.completion();
    String expected = SimulatedReplies.reply(prompt, 20);
    assertThat(completion.text()).isEqualTo(expected);
    assertThat(listener.text()).isEqualTo(expected);
    assertThat(completion.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(completion.usage().completionTokens()).isEqualTo(20);
    assertThat(completion.usage().promptTokens()).isPositive();
    assertThat(listener.ends.get()).isEqualTo(1);
  }

  @Test
  void requestCarriesKeyVersionSystemAndMaxTokens() throws Exception {
    String prompt = "shape of the request";
    RecordingListener listener = new RecordingListener();
    model.stream(
        new ChatRequest(
            "claude-sim",
            List.of(
                ChatMessage.system("be kind"),
                ChatMessage.user("earlier"),
                ChatMessage.assistant("reply"),
                ChatMessage.user(prompt))),
        listener);
    listener.completion();

    RecordedRequest request = lastRequestWith(prompt);
    assertThat(request.path()).isEqualTo("/v1/messages");
    assertThat(request.header("x-api-key")).contains("sk-ant-secret");
    assertThat(request.header("anthropic-version")).contains("2023-06-01");
    assertThat(request.header("authorization")).isEmpty();
    JsonNode body = JSON.readTree(request.body());
    assertThat(body.path("system").asText()).isEqualTo("be kind");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(1024);
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("messages")).hasSize(3);
    assertThat(body.path("messages").get(1).path("role").asText()).isEqualTo("assistant");
  }

  @Test
  void maxTokensEndsWithLength() throws Exception {
    String prompt = "short please";
    RecordingListener listener = new RecordingListener();
    model.stream(new ChatRequest("claude-sim", List.of(ChatMessage.user(prompt)), 4), listener);
    ChatCompletion completion = listener.completion();
    assertThat(completion.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(completion.text()).isEqualTo(SimulatedReplies.reply(prompt, 4));
    assertThat(completion.usage().completionTokens()).isEqualTo(4);
  }

  @Test
  void cancellationClosesTheConnection() throws Exception {
    String prompt = "go on and on";
    server.enqueue("tokens=10000;tps=50");
    RecordingListener listener = new RecordingListener();
    ChatCall call =
        model.stream(new ChatRequest("claude-sim", List.of(ChatMessage.user(prompt))), listener);
    await().atMost(Duration.ofSeconds(10)).until(() -> listener.deltas.size() >= 2);
    call.cancel();
    assertThat(listener.error().kind()).isEqualTo(ModelException.Kind.CANCELLED);
    RecordedRequest request = lastRequestWith(prompt);
    await().atMost(Duration.ofSeconds(10)).until(request::clientDisconnected);
  }
}
