package dev.runnel.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The simulator's own contract, seen by a plain HTTP client. */
@Timeout(60)
class SimulatedModelServerTest {
  private static SimulatedModelServer server;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ZERO)
                .withTokensPerSecond(1000));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> post(String path, String body, String options)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.anthropicBaseUrl() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (options != null) {
      b.header(SimulatedModelServer.OPTIONS_HEADER, options);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void repliesAreDeterministicPerPromptAndDifferAcrossPrompts() {
    assertThat(SimulatedReplies.reply("a", 30)).isEqualTo(SimulatedReplies.reply("a", 30));
    assertThat(SimulatedReplies.reply("a", 30)).isNotEqualTo(SimulatedReplies.reply("b", 30));
    assertThat(SimulatedReplies.reply("a", 30)).startsWith(SimulatedReplies.reply("a", 10));
  }

  @Test
  void openAiStreamIsWellFramedAndEndsWithDone() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/chat/completions",
            "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
            "tokens=3");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).contains("text/event-stream");
    assertThat(r.body()).endsWith("data: [DONE]\n\n").contains("\"choices\":[]");
  }

  @Test
  void headerOptionsInjectAFaultWithRetryAfter() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/messages",
            "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
            "fault=rate_limit;retry_after=4");
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("retry-after")).contains("4");
    assertThat(r.body()).contains("rate_limit_error");
  }

  @Test
  void unknownOptionIsRejectedWithItsName() throws Exception {
    HttpResponse<String> r =
        post(
            "/v1/messages",
            "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
            "fault=explode");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("explode");
  }

  @Test
  void durationSpreadsTheReplyOverTheRequestedTime() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r =
        post(
            "/v1/chat/completions",
            "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"[[sim tokens=5 duration_ms=600]] slow\"}]}",
            null);
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.statusCode()).isEqualTo(200);
    // A lower bound only: the reply may not finish before the requested duration.
    assertThat(tookMillis).isGreaterThanOrEqualTo(600);
    RecordedRequest recorded = server.requests().get(server.requests().size() - 1);
    assertThat(recorded.prompt()).contains("slow");
    assertThat(recorded.responseFinished()).isTrue();
  }

  @Test
  void unknownPathIs404AndRecorded() throws Exception {
    assertThat(post("/v2/other", "{}", null).statusCode()).isEqualTo(404);
    assertThat(server.requests()).anyMatch(r -> r.path().equals("/v2/other"));
  }

  @Test
  void closesTwiceFromTwoThreadsWithoutError() throws Exception {
    // RunnelApplication's shutdown hook and its main thread both close the in-process simulator.
    SimulatedModelServer other = SimulatedModelServer.start();
    CompletableFuture<Void> hook = CompletableFuture.runAsync(other::close);
    other.close();
    hook.get(30, TimeUnit.SECONDS);
    assertThatCode(other::close).doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                HTTP.send(
                    HttpRequest.newBuilder(URI.create(other.openAiBaseUrl() + "/models")).build(),
                    HttpResponse.BodyHandlers.discarding()))
        .as("the closed server no longer listens")
        .isInstanceOf(java.io.IOException.class);
  }
}
