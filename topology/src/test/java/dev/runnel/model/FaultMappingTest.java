package dev.runnel.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.model.ModelException.Kind;
import dev.runnel.model.anthropic.AnthropicChatModel;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each fault the simulator injects, over real HTTP on loopback, ends the call with the right error
 * kind and retry decision, in both wire formats; and the client closes the connection it failed.
 */
@Timeout(120)
class FaultMappingTest {
  private static final ModelTimeouts TIMEOUTS =
      new ModelTimeouts(
          Duration.ofSeconds(5),
          Duration.ofMillis(1500),
          Duration.ofMillis(700),
          Duration.ofSeconds(20));

  private static SimulatedModelServer server;
  private static ChatModel openAi;
  private static ChatModel anthropic;

  @BeforeAll
  static void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(10))
                .withTokensPerSecond(500)
                .withReplyTokens(10));
    openAi = OpenAiChatModel.builder().baseUrl(server.openAiBaseUrl()).timeouts(TIMEOUTS).build();
    anthropic =
        AnthropicChatModel.builder().baseUrl(server.anthropicBaseUrl()).timeouts(TIMEOUTS).build();
  }

  @AfterAll
  static void stop() {
    openAi.close();
    anthropic.close();
    server.close();
  }

  static Stream<Arguments> faults() {
    return Stream.of(
            Arguments.of("fault=rate_limit;retry_after=2", Kind.RATE_LIMITED, true, 2L),
            Arguments.of("fault=rate_limit", Kind.RATE_LIMITED, true, null),
            Arguments.of("fault=quota", Kind.QUOTA_EXCEEDED, false, null),
            Arguments.of("fault=server_error", Kind.SERVER_ERROR, true, null),
            Arguments.of("fault=unavailable;retry_after=5", Kind.SERVER_ERROR, true, 5L),
            Arguments.of("fault=overloaded", Kind.OVERLOADED, true, null),
            Arguments.of("fault=bad_request", Kind.BAD_REQUEST, false, null),
            Arguments.of("fault=unauthorized", Kind.AUTHENTICATION, false, null),
            Arguments.of("fault=refuse", Kind.CONNECTION, true, null),
            Arguments.of("fault=reset;after=3", Kind.STREAM_DROPPED, true, null),
            Arguments.of("fault=truncate;after=3", Kind.STREAM_DROPPED, true, null),
            Arguments.of("fault=stall;after=3", Kind.TIMEOUT, true, null),
            Arguments.of("fault=stall;after=0", Kind.TIMEOUT, true, null),
            Arguments.of("fault=malformed;after=2", Kind.PROTOCOL, false, null),
            Arguments.of("fault=error_event;after=2", Kind.SERVER_ERROR, true, null),
            Arguments.of(
                "fault=error_event;after=2;error_type=overloaded_error",
                Kind.OVERLOADED,
                true,
                null),
            Arguments.of(
                "fault=error_event;after=2;error_type=insufficient_quota",
                Kind.QUOTA_EXCEEDED,
                false,
                null))
        .flatMap(
            a ->
                Stream.of("openai", "anthropic")
                    .map(
                        p -> {
                          Object[] x = a.get();
                          return Arguments.of(p, x[0], x[1], x[2], x[3]);
                        }));
  }

  @ParameterizedTest(name = "{0} {1} -> {2} retriable={3} retryAfter={4}")
  @MethodSource("faults")
  void faultEndsTheCallWithTheRightError(
      String provider, String fault, Kind kind, boolean retriable, Long retryAfterSeconds)
      throws Exception {
    int before = server.requests().size();
    server.enqueue(fault);
    RecordingListener listener = new RecordingListener();
    ChatModel model = provider.equals("openai") ? openAi : anthropic;
    model.stream(
        new ChatRequest("runnel-sim", List.of(ChatMessage.user("fault " + fault))), listener);

    ModelException error = listener.error();
    assertThat(error.kind()).as(error.getMessage()).isEqualTo(kind);
    assertThat(error.retriable()).isEqualTo(retriable);
    if (retryAfterSeconds == null) {
      assertThat(error.retryAfter()).isEmpty();
    } else {
      assertThat(error.retryAfter()).contains(Duration.ofSeconds(retryAfterSeconds));
    }
    assertThat(listener.ends.get()).isEqualTo(1);
    RecordedRequest received = server.requests().get(before);
    if (fault.startsWith("fault=stall")) {
      // The idle or first-token timeout closed the connection; the server saw it go.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(received::clientDisconnected);
    }
  }

  @Test
  void connectionRefusedIsARetriableConnectionError() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (ChatModel model =
        OpenAiChatModel.builder().baseUrl("http://127.0.0.1:" + port + "/v1").build()) {
      RecordingListener listener = new RecordingListener();
      model.stream(new ChatRequest("m", List.of(ChatMessage.user("hi"))), listener);
      ModelException error = listener.error();
      assertThat(error.kind()).isEqualTo(Kind.CONNECTION);
      assertThat(error.retriable()).isTrue();
      assertThat(error.getMessage()).contains("127.0.0.1:" + port);
    }
  }

  @Test
  void firstTokenTimeoutEndsASlowStartAndClosesTheConnection() throws Exception {
    server.enqueue("ttft_ms=20000");
    int before = server.requests().size();
    RecordingListener listener = new RecordingListener();
    ModelTimeouts quick =
        new ModelTimeouts(
            Duration.ofSeconds(5),
            Duration.ofMillis(300),
            Duration.ofSeconds(5),
            Duration.ofSeconds(20));
    try (ChatModel model =
        OpenAiChatModel.builder().baseUrl(server.openAiBaseUrl()).timeouts(quick).build()) {
      model.stream(new ChatRequest("m", List.of(ChatMessage.user("slow start"))), listener);
      ModelException error = listener.error();
      assertThat(error.kind()).isEqualTo(Kind.TIMEOUT);
      assertThat(error.getMessage()).contains("first-token");
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> server.requests().get(before).clientDisconnected());
    }
  }

  @Test
  void totalTimeoutEndsALongReply() throws Exception {
    server.enqueue("tokens=1000;tps=20");
    RecordingListener listener = new RecordingListener();
    ModelTimeouts quick =
        new ModelTimeouts(
            Duration.ofSeconds(5),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5),
            Duration.ofMillis(800));
    try (ChatModel model =
        OpenAiChatModel.builder().baseUrl(server.openAiBaseUrl()).timeouts(quick).build()) {
      model.stream(new ChatRequest("m", List.of(ChatMessage.user("long one"))), listener);
      ModelException error = listener.error();
      assertThat(error.kind()).isEqualTo(Kind.TIMEOUT);
      assertThat(error.getMessage()).contains("total");
      assertThat(listener.deltas).isNotEmpty();
    }
  }
}
