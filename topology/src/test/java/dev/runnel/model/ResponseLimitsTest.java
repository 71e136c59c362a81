package dev.runnel.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.LoopbackHttpServer.Answer;
import dev.runnel.model.ModelException.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a call holds in memory is bounded: a failed response's body is read up to a few kilobytes,
 * and a reply up to {@code runnel.reply.max.chars}, however much the server sends.
 */
@org.junit.jupiter.api.Timeout(60)
class ResponseLimitsTest {
  private static final String PIECE = "0123456789".repeat(100);
  private LoopbackHttpServer server;
  private ChatModel model;

  @BeforeEach
  void start() throws Exception {
    server = new LoopbackHttpServer();
  }

  @AfterEach
  void stop() {
    if (model != null) {
      model.close();
    }
    server.close();
  }

  private ChatModel model(String provider, Map<String, Object> extra) {
    Map<String, Object> settings = new java.util.HashMap<>(extra);
    settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, provider);
    settings.put(
        RunnelConfig.MODEL_BASE_URL_CONFIG,
        server.url() + (provider.equals(RunnelConfig.PROVIDER_OPENAI) ? "/v1" : ""));
    settings.put(RunnelConfig.MODEL_API_KEY_ENV_CONFIG, "RUNNEL_TEST_NO_SUCH_VARIABLE");
    // Longer than the test's own timeout: a call that reads on must not be saved by a timer.
    settings.put(RunnelConfig.MODEL_TOTAL_TIMEOUT_MS_CONFIG, 600_000L);
    settings.put(RunnelConfig.MODEL_IDLE_TIMEOUT_MS_CONFIG, 600_000L);
    model = ChatModels.create(new RunnelConfig(settings));
    return model;
  }

  private static ChatRequest request() {
    return new ChatRequest("m", List.of(ChatMessage.user("hello")), 16);
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.PROVIDER_OPENAI, RunnelConfig.PROVIDER_ANTHROPIC})
  void anEndlessErrorBodyIsReadOnlyUpToItsLimit(String provider) throws Exception {
    server.answer(new Answer(500, "text/plain", i -> PIECE));
    RecordingListener listener = new RecordingListener();
    model(provider, Map.of()).stream(request(), listener);

    ModelException error = listener.error();
    assertThat(error.kind()).isEqualTo(Kind.SERVER_ERROR);
    assertThat(error.getMessage())
        .startsWith("HTTP 500")
        .contains("0123456789")
        .hasSizeLessThan(1024);
    assertThat(listener.ends.get()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.PROVIDER_OPENAI, RunnelConfig.PROVIDER_ANTHROPIC})
  void anEndlessReplyEndsWithLengthAtTheReplyLimit(String provider) throws Exception {
    String event =
        provider.equals(RunnelConfig.PROVIDER_OPENAI)
            ? "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ab\uD83D\uDE80\"}}]}\n\n"
            : "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"ab\uD83D\uDE80\"}}\n\n";
    server.answer(new Answer(200, "text/event-stream", i -> event));
    RecordingListener listener = new RecordingListener();
    model(provider, Map.of(RunnelConfig.REPLY_MAX_CHARS_CONFIG, 1003)).stream(request(), listener);

    ChatCompletion completion = listener.completion();
    assertThat(completion.finishReason()).isEqualTo(FinishReason.LENGTH);
    // 250 whole pieces of four code units, then "ab" of the next: the rocket's surrogate pair
    // is never split.
    assertThat(completion.text()).hasSize(1002).isEqualTo("ab\uD83D\uDE80".repeat(250) + "ab");
    assertThat(listener.text()).isEqualTo(completion.text());
    assertThat(listener.ends.get()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.PROVIDER_OPENAI, RunnelConfig.PROVIDER_ANTHROPIC})
  void endlessToolCallArgumentsFailAtTheReplyLimit(String provider) throws Exception {
    boolean openAi = provider.equals(RunnelConfig.PROVIDER_OPENAI);
    String start =
        openAi
            ? "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                + "\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
            : "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}\n\n";
    String piece =
        openAi
            ? "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                + "\"function\":{\"arguments\":\"[1,2,3,4,\"}}]}}]}\n\n"
            : "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"[1,2,3,4,\"}}\n\n";
    server.answer(new Answer(200, "text/event-stream", i -> i == 0 ? start : piece));
    RecordingListener listener = new RecordingListener();
    model(provider, Map.of(RunnelConfig.REPLY_MAX_CHARS_CONFIG, 1000)).stream(request(), listener);

    ModelException error = listener.error();
    assertThat(error.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(error.getMessage()).contains("tool-call arguments").contains("1000 characters");
    assertThat(listener.toolCalls.get(0).name()).isEqualTo("f");
    assertThat(listener.ends.get()).isEqualTo(1);
  }

  @Test
  void aToolCallThatSkipsAnIndexIsAProtocolErrorNamingIt() throws Exception {
    String event =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
            + "\"id\":\"call_2\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\n";
    server.answer(new Answer(200, "text/event-stream", i -> i == 0 ? event : null));
    RecordingListener listener = new RecordingListener();
    model(RunnelConfig.PROVIDER_OPENAI, Map.of()).stream(request(), listener);

    ModelException error = listener.error();
    assertThat(error.kind()).isEqualTo(Kind.PROTOCOL);
    assertThat(error.getMessage()).contains("tool call 1 came before tool call 0");
  }
}
