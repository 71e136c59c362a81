package dev.runnel.model.openai;

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

/** The OpenAI-compatible client against the simulated server over real HTTP on loopback. */
@Timeout(60)
class OpenAiChatModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static SimulatedModelServer server;
  private static OpenAiChatModel model;

  @BeforeAll
  static void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(5))
                .withTokensPerSecond(1000)
                .withReplyTokens(25));
    model =
        OpenAiChatModel.builder()
            .baseUrl(server.openAiBaseUrl())
            .apiKey(new Password("sk-test-secret"))
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
  @ValueSource(strings = {"", "split=1", "split=2", "wire=varied", "wire=varied;split=1"})
  void replyArrivesIntactWithUsage(String options) throws Exception {
    String prompt = "Tell me about rivers " + options;
    if (!options.isEmpty()) {
      server.enqueue(options);
    }
    RecordingListener listener = new RecordingListener();
    model.stream(new ChatRequest("runnel-sim", List.of(ChatMessage.user(prompt))), listener);

    ChatCompletion completion = listener.completion();
    String expected = SimulatedReplies.reply(prompt, 25);
    assertThat(expected).containsPattern("[\\x{4E00}-\\x{9FFF}]").contains("\uD83D");
    assertThat(completion.text()).isEqualTo(expected);
    assertThat(listener.text()).isEqualTo(expected);
    assertThat(listener.deltas).hasSize(25).doesNotContain("");
    assertThat(completion.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(completion.usage().completionTokens()).isEqualTo(25);
    assertThat(completion.usage().promptTokens()).isPositive();
    assertThat(completion.usage().totalTokens()).isEqualTo(completion.usage().promptTokens() + 25);
    assertThat(listener.ends.get()).isEqualTo(1);
  }

  @Test
  void requestAsksForAStreamWithUsageAndSendsTheKey() throws Exception {
    String prompt = "request shape";
    RecordingListener listener = new RecordingListener();
    model.stream(
        new ChatRequest(
            "gpt-test", List.of(ChatMessage.system("be brief"), ChatMessage.user(prompt)), 100),
        listener);
    listener.completion();

    RecordedRequest request = lastRequestWith(prompt);
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.header("authorization")).contains("Bearer sk-test-secret");
    assertThat(request.header("accept")).contains("text/event-stream");
    JsonNode body = JSON.readTree(request.body());
    assertThat(body.path("model").asText()).isEqualTo("gpt-test");
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(body.path("max_tokens").asInt()).isEqualTo(100);
    assertThat(body.path("messages").get(0).path("role").asText()).isEqualTo("system");
    assertThat(body.path("messages").get(1).path("content").asText()).isEqualTo(prompt);
  }

  @Test
  void noKeyMeansNoAuthorizationHeader() throws Exception {
    String prompt = "no key";
    try (OpenAiChatModel keyless =
        OpenAiChatModel.builder().baseUrl(server.openAiBaseUrl() + "/").build()) {
      RecordingListener listener = new RecordingListener();
      keyless.stream(new ChatRequest("m", List.of(ChatMessage.user(prompt))), listener);
      listener.completion();
    }
    assertThat(lastRequestWith(prompt).header("authorization")).isEmpty();
  }

  @Test
  void keyNeverAppearsInToString() {
    assertThat(model.toString()).doesNotContain("sk-test-secret");
  }

  @Test
  void maxTokensBelowTheReplyEndsWithLength() throws Exception {
    String prompt = "cut me short";
    RecordingListener listener = new RecordingListener();
    model.stream(new ChatRequest("m", List.of(ChatMessage.user(prompt)), 7), listener);
    ChatCompletion completion = listener.completion();
    assertThat(completion.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(completion.text()).isEqualTo(SimulatedReplies.reply(prompt, 7));
  }

  @Test
  void cancellationEndsTheCallAndClosesTheConnection() throws Exception {
    String prompt = "a long answer please";
    server.enqueue("tokens=10000;tps=50");
    RecordingListener listener = new RecordingListener();
    ChatCall call = model.stream(new ChatRequest("m", List.of(ChatMessage.user(prompt))), listener);
    await().atMost(Duration.ofSeconds(10)).until(() -> listener.deltas.size() >= 3);

    call.cancel();

    ModelException error = listener.error();
    assertThat(error.kind()).isEqualTo(ModelException.Kind.CANCELLED);
    assertThat(error.retriable()).isFalse();
    RecordedRequest request = lastRequestWith(prompt);
    await().atMost(Duration.ofSeconds(10)).until(request::clientDisconnected);
    assertThat(request.responseFinished()).isFalse();
    int seen = listener.deltas.size();
    call.cancel();
    assertThat(listener.ends.get()).isEqualTo(1);
    assertThat(listener.deltasAfterEnd.get()).isZero();
    assertThat(listener.deltas).hasSize(seen);
  }

  @Test
  void cancelBeforeTheFirstByteStillEndsOnce() throws Exception {
    server.enqueue("ttft_ms=5000");
    RecordingListener listener = new RecordingListener();
    ChatCall call =
        model.stream(new ChatRequest("m", List.of(ChatMessage.user("cancel early"))), listener);
    call.cancel();
    assertThat(listener.error().kind()).isEqualTo(ModelException.Kind.CANCELLED);
    assertThat(listener.ends.get()).isEqualTo(1);
  }
}
