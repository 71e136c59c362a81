package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.schemas.ToolCallFragment;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** How one request's chunks become an OpenAI completion, including restarts and failures. */
class CompletionWatcherTest {
  private long offset;

  private ChunkEvent delta(int attempt, int sequence, String text) {
    return delta(attempt, "call-" + attempt, sequence, text);
  }

  private ChunkEvent delta(int attempt, String callId, int sequence, String text) {
    return new ChunkEvent(
        0,
        offset++,
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(attempt)
            .setCallId(callId)
            .setSequence(sequence)
            .setDelta(text)
            .build());
  }

  private ChunkEvent end(int attempt, int sequence, ErrorInfo error) {
    return end(
        attempt,
        "call-" + attempt,
        sequence,
        error == null ? FinishReason.STOP : FinishReason.ERROR,
        error);
  }

  private ChunkEvent end(
      int attempt, String callId, int sequence, FinishReason reason, ErrorInfo error) {
    return new ChunkEvent(
        0,
        offset++,
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(attempt)
            .setCallId(callId)
            .setSequence(sequence)
            .setEnd(true)
            .setFinishReason(reason)
            .setUsage(new TokenUsage(3L, 4L, 7L))
            .setError(error)
            .build());
  }

  /** The whole stream the channel was sent, as text. */
  private static String raw(EmbeddedChannel channel) {
    StringBuilder all = new StringBuilder();
    Object out;
    while ((out = channel.readOutbound()) != null) {
      if (out instanceof HttpContent content) {
        all.append(content.content().toString(StandardCharsets.UTF_8));
      }
    }
    return all.toString();
  }

  /** The data lines the channel was sent, in order. */
  private static List<String> data(EmbeddedChannel channel) {
    StringBuilder all = new StringBuilder();
    Object out;
    while ((out = channel.readOutbound()) != null) {
      if (out instanceof HttpContent content) {
        ByteBuf buf = content.content();
        all.append(buf.toString(StandardCharsets.UTF_8));
      }
    }
    List<String> data = new ArrayList<>();
    all.toString()
        .lines()
        .filter(l -> l.startsWith("data: "))
        .forEach(l -> data.add(l.substring(6)));
    return data;
  }

  private static String content(String data) throws Exception {
    return Json.MAPPER.readTree(data).at("/choices/0/delta/content").asText("");
  }

  private ChunkEvent tool(int sequence, int index, String id, String name, String arguments) {
    return new ChunkEvent(
        0,
        offset++,
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(1)
            .setCallId("call-1")
            .setSequence(sequence)
            .setToolCall(new ToolCallFragment(index, id, name, arguments))
            .build());
  }

  @Test
  void toolCallsStreamInOpenAisFormAndEndWithFinishReasonToolCalls() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel();
    SseStream stream = new SseStream(channel, 1 << 20, () -> {}, null, null);
    CompletionWatcher watcher = CompletionWatcher.streaming("r", "m", 1L, stream, false);
    watcher.start();

    watcher.offer(tool(0, 0, "call_a", "lookup", ""));
    watcher.offer(tool(1, 0, null, null, "{\"name\":"));
    watcher.offer(tool(2, 0, null, null, "\"Ada\"}"));
    watcher.offer(tool(3, 1, "call_b", "clock", "{}"));
    watcher.offer(end(1, "call-1", 4, FinishReason.TOOL_CALLS, null));

    List<String> data = data(channel);
    assertThat(data).hasSize(7).endsWith("[DONE]");
    assertThat(Json.MAPPER.readTree(data.get(1)).at("/choices/0/delta/tool_calls"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]"));
    assertThat(Json.MAPPER.readTree(data.get(2)).at("/choices/0/delta/tool_calls"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "[{\"index\":0,\"function\":{\"arguments\":\"{\\\"name\\\":\"}}]"));
    assertThat(Json.MAPPER.readTree(data.get(4)).at("/choices/0/delta/tool_calls/0/id").asText())
        .isEqualTo("call_b");
    assertThat(Json.MAPPER.readTree(data.get(5)).at("/choices/0/finish_reason").asText())
        .isEqualTo("tool_calls");
  }

  @Test
  void aWholeCompletionCarriesItsToolCallsAssembled() throws Exception {
    AtomicReference<ObjectNode> response = new AtomicReference<>();
    CompletionWatcher watcher = CompletionWatcher.whole("r", "m", 1L, response::set, error -> {});

    watcher.offer(tool(0, 0, "call_a", "lookup", "{\"name\":"));
    watcher.offer(tool(1, 0, null, null, "\"Ada\"}"));
    watcher.offer(end(1, "call-1", 2, FinishReason.TOOL_CALLS, null));

    JsonNode choice = response.get().at("/choices/0");
    assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(choice.at("/message/content").isNull()).isTrue();
    assertThat(choice.at("/message/tool_calls"))
        .isEqualTo(
            Json.MAPPER.readTree(
                "[{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":"
                    + "\"lookup\",\"arguments\":\"{\\\"name\\\":\\\"Ada\\\"}\"}}]"));
  }

  @Test
  void aRestartThatRepeatsTheTextSendsOnlyWhatIsNew() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel();
    SseStream stream = new SseStream(channel, 1 << 20, () -> {}, null, null);
    CompletionWatcher watcher = CompletionWatcher.streaming("r", "m", 1L, stream, true);
    watcher.start();

    watcher.offer(delta(1, 0, "Hel"));
    watcher.offer(delta(1, 1, "lo "));
    watcher.offer(delta(2, 0, "He"));
    watcher.offer(delta(2, 1, "llo w"));
    watcher.offer(delta(2, 1, "llo w")); // delivered twice by the at-least-once lane
    watcher.offer(delta(2, 2, "orld"));
    boolean more = watcher.offer(end(2, 3, null));

    assertThat(more).isFalse();
    List<String> data = data(channel);
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    for (String d : data.subList(0, data.size() - 1)) {
      text.append(content(d));
    }
    assertThat(text.toString()).isEqualTo("Hello world");
    JsonNode usage = Json.MAPPER.readTree(data.get(data.size() - 2)).get("usage");
    assertThat(usage.get("total_tokens").asLong()).isEqualTo(7);
    assertThat(
            Json.MAPPER.readTree(data.get(data.size() - 3)).at("/choices/0/finish_reason").asText())
        .isEqualTo("stop");
  }

  @Test
  void aRestartWithDifferentTextEndsTheStreamWithAnError() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel();
    SseStream stream = new SseStream(channel, 1 << 20, () -> {}, null, null);
    CompletionWatcher watcher = CompletionWatcher.streaming("r", "m", 1L, stream, false);

    watcher.offer(delta(1, 0, "Hello"));
    boolean more = watcher.offer(delta(2, 0, "Goodbye"));

    assertThat(more).isFalse();
    List<String> data = data(channel);
    JsonNode last = Json.MAPPER.readTree(data.get(data.size() - 1));
    assertThat(last.at("/error/code").asText()).isEqualTo("attempt_diverged");
    assertThat(data).doesNotContain("[DONE]");
  }

  @Test
  void aWholeCompletionHasTheHighestAttemptsTextOrTheError() {
    AtomicReference<ObjectNode> response = new AtomicReference<>();
    AtomicReference<ApiError> error = new AtomicReference<>();
    CompletionWatcher ok = CompletionWatcher.whole("r", "m", 1L, response::set, error::set);
    ok.offer(delta(1, 0, "first try"));
    ok.offer(delta(2, 0, "second "));
    ok.offer(delta(2, 1, "try"));
    ok.offer(end(2, 2, null));
    assertThat(response.get().at("/choices/0/message/content").asText()).isEqualTo("second try");
    assertThat(response.get().get("object").asText()).isEqualTo("chat.completion");

    CompletionWatcher failed = CompletionWatcher.whole("r", "m", 1L, response::set, error::set);
    failed.offer(delta(1, 0, "partial"));
    failed.offer(end(1, 1, new ErrorInfo("RATE_LIMITED", "slow down", true)));
    assertThat(error.get().body().at("/error/code").asText()).isEqualTo("rate_limited");
    assertThat(error.get().body().at("/error/type").asText()).isEqualTo("rate_limit_error");
    assertThat(error.get().body().at("/error/message").asText()).isEqualTo("slow down");
    assertThat(error.get().status().code()).isEqualTo(429);
    assertThat(error.get().retryAfterSeconds()).isPresent();
  }

  @Test
  void aNewCallUnderTheSameAttemptStartsOverAndTheEndRecordPicksTheCall() throws Exception {
    // Whole: the text is the deltas of the call the end record names, not of every call.
    AtomicReference<ObjectNode> response = new AtomicReference<>();
    CompletionWatcher whole = CompletionWatcher.whole("r", "m", 1L, response::set, e -> {});
    whole.offer(delta(1, "a", 0, "rolled "));
    whole.offer(delta(1, "a", 1, "back"));
    whole.offer(delta(1, "b", 0, "the "));
    whole.offer(delta(1, "b", 0, "the ")); // a duplicate of b's first delta
    whole.offer(delta(1, "b", 1, "reply"));
    whole.offer(end(1, "b", 2, FinishReason.STOP, null));
    assertThat(response.get().at("/choices/0/message/content").asText()).isEqualTo("the reply");

    // Streaming: call b repeats what call a sent, so only the new part goes out.
    EmbeddedChannel channel = new EmbeddedChannel();
    SseStream stream = new SseStream(channel, 1 << 20, () -> {}, null, null);
    CompletionWatcher streaming = CompletionWatcher.streaming("r", "m", 1L, stream, false);
    streaming.offer(delta(1, "a", 0, "Hello"));
    streaming.offer(delta(1, "b", 0, "Hel"));
    streaming.offer(delta(1, "b", 1, "lo world"));
    streaming.offer(delta(0, "z", 0, "a lower attempt is ignored"));
    assertThat(streaming.offer(end(1, "b", 2, FinishReason.STOP, null))).isFalse();
    List<String> data = data(channel);
    StringBuilder text = new StringBuilder();
    for (String d : data.subList(0, data.size() - 1)) {
      text.append(content(d));
    }
    assertThat(text.toString()).isEqualTo("Hello world");
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");

    // Streaming: a new call under the same attempt with other text cannot be shown as one reply.
    EmbeddedChannel diverged = new EmbeddedChannel();
    CompletionWatcher other =
        CompletionWatcher.streaming(
            "r", "m", 1L, new SseStream(diverged, 1 << 20, () -> {}, null, null), false);
    other.offer(delta(1, "a", 0, "Hello"));
    assertThat(other.offer(delta(1, "b", 0, "Goodbye"))).isFalse();
    assertThat(raw(diverged)).contains("event: error").contains("attempt_diverged");
  }

  private ChunkEvent duplicateEnd(int sequence) {
    return new ChunkEvent(
        0,
        offset++,
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(1)
            .setCallId("call-1")
            .setSequence(sequence)
            .setEnd(true)
            .setDuplicate(true)
            .setFinishReason(FinishReason.STOP)
            .setSessionVersion(4L)
            .build());
  }

  @Test
  void aRetriedRequestWhoseDeltasWereNotSeenIsAnsweredFromTheSessionState() {
    AtomicReference<ObjectNode> response = new AtomicReference<>();
    AtomicReference<ApiError> error = new AtomicReference<>();
    CompletionWatcher kept =
        CompletionWatcher.whole("r", "m", 1L, response::set, error::set)
            .earlierReplies(
                (session, request) ->
                    CompletableFuture.completedFuture(
                        Optional.of("the reply kept for " + session + "/" + request)));
    kept.offer(duplicateEnd(3));
    assertThat(response.get().at("/choices/0/message/content").asText())
        .isEqualTo("the reply kept for s/r");
    assertThat(error.get()).isNull();

    // Deltas seen whole: they are the reply, the state is not asked.
    response.set(null);
    CompletionWatcher seen =
        CompletionWatcher.whole("r", "m", 1L, response::set, error::set)
            .earlierReplies(
                (session, request) -> {
                  throw new AssertionError("the state was asked although the deltas were seen");
                });
    seen.offer(delta(1, 0, "seen "));
    seen.offer(delta(1, 1, "whole"));
    seen.offer(duplicateEnd(2));
    assertThat(response.get().at("/choices/0/message/content").asText()).isEqualTo("seen whole");

    // The state no longer holds it: a clear 410, never an empty reply.
    response.set(null);
    CompletionWatcher gone = CompletionWatcher.whole("r", "m", 1L, response::set, error::set);
    gone.offer(duplicateEnd(3));
    assertThat(response.get()).isNull();
    assertThat(error.get().status().code()).isEqualTo(410);
    assertThat(error.get().body().at("/error/code").asText()).isEqualTo("reply_unavailable");
    assertThat(error.get().body().at("/error/message").asText()).contains("session version 4");
  }

  @Test
  void anEndRecordNamingALowerAttemptThanTheOneShownEndsTheCompletion() {
    // Two lost starts can give the restart a lower attempt number than a call already seen.
    AtomicReference<ObjectNode> response = new AtomicReference<>();
    CompletionWatcher whole = CompletionWatcher.whole("r", "m", 1L, response::set, e -> {});
    whole.offer(delta(3, "lost", 0, "lost call"));
    whole.offer(delta(2, "restart", 0, "the "));
    whole.offer(delta(2, "restart", 1, "reply"));
    boolean more = whole.offer(end(2, "restart", 2, FinishReason.STOP, null));
    assertThat(more).isFalse();
    assertThat(response.get().at("/choices/0/message/content").asText()).isEqualTo("the reply");
  }

  @Test
  void aCancelledRequestIsAnErrorNotAStop() {
    AtomicReference<ApiError> error = new AtomicReference<>();
    CompletionWatcher whole = CompletionWatcher.whole("r", "m", 1L, r -> {}, error::set);
    whole.offer(end(0, null, 0, FinishReason.CANCELLED, null));
    assertThat(error.get().status().code()).isEqualTo(499);
    assertThat(error.get().code()).isEqualTo("cancelled");
    assertThat(error.get().worthRetrying()).isFalse();

    EmbeddedChannel channel = new EmbeddedChannel();
    CompletionWatcher streaming =
        CompletionWatcher.streaming(
            "r", "m", 1L, new SseStream(channel, 1 << 20, () -> {}, null, null), false);
    streaming.offer(delta(1, 0, "partial"));
    streaming.offer(end(1, "call-1", 1, FinishReason.CANCELLED, null));
    String sent = raw(channel);
    assertThat(sent).doesNotContain("\"finish_reason\":\"stop\"").doesNotContain("[DONE]");
    assertThat(sent).contains("event: error\ndata: {\"error\":").contains("\"code\":\"cancelled\"");
  }

  @Test
  void aStreamedFailureIsAnErrorEventThatClientsRaise() {
    EmbeddedChannel channel = new EmbeddedChannel();
    CompletionWatcher streaming =
        CompletionWatcher.streaming(
            "r", "m", 1L, new SseStream(channel, 1 << 20, () -> {}, null, null), false);
    streaming.start();
    streaming.offer(delta(1, 0, "partial"));
    streaming.offer(end(1, 1, new ErrorInfo("BAD_REQUEST", "the model refused", false)));
    String sent = raw(channel);
    // The event name is what LangChain4j looks at; the error field is what the npm client does.
    assertThat(sent)
        .contains(
            "event: error\ndata: {\"error\":{\"message\":\"the model refused\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"bad_request\"}}\n\n")
        .doesNotContain("[DONE]");
  }

  @Test
  void modelErrorsMapToStatusesSoOnlyWhatIsWorthRetryingIsRetried() {
    record Case(String kind, int status, boolean retry) {}
    for (Case c :
        List.of(
            new Case("BAD_REQUEST", 400, false),
            new Case("CONTENT_FILTER", 400, false),
            new Case("NOT_FOUND", 404, false),
            new Case("AUTHENTICATION", 500, false),
            new Case("PERMISSION", 500, false),
            new Case("QUOTA_EXCEEDED", 500, false),
            new Case("ACTION_FAILED", 500, false),
            new Case("PROTOCOL", 502, false),
            new Case("RATE_LIMITED", 429, true),
            new Case("OVERLOADED", 503, true),
            new Case("SERVER_ERROR", 502, true),
            new Case("CONNECTION", 502, true),
            new Case("TIMEOUT", 504, true))) {
      ApiError e = ApiError.ofModel(new ErrorInfo(c.kind(), "m", true));
      assertThat(e.status().code()).as(c.kind()).isEqualTo(c.status());
      assertThat(e.worthRetrying()).as(c.kind()).isEqualTo(c.retry());
      assertThat(e.body().at("/error/type").asText()).as(c.kind()).isNotBlank();
    }
  }

  @Test
  void sentTextLooksAtEachCharacterOnceWhateverTheTextSoFar() {
    SentText sent = new SentText();
    int deltas = 100_000;
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < deltas; i++) {
      out.append(sent.accept("tok" + (i % 10) + " "));
    }
    long total = 5L * deltas;
    assertThat(out.length()).isEqualTo(total);
    // Linear: one look per character received, not the text so far on every delta.
    assertThat(sent.examined()).isEqualTo(total);

    // A restart that repeats the first half sends nothing for it and costs only its own length.
    sent.restart();
    long before = sent.examined();
    for (int i = 0; i < deltas / 2; i++) {
      assertThat(sent.accept("tok" + (i % 10) + " ")).isEmpty();
    }
    assertThat(sent.examined() - before).isEqualTo(total / 2);
    assertThat(sent.accept("tok")).isEmpty();
    assertThat(sent.accept("X")).isNull();
  }

  @Test
  void aLongStreamedReplyIsSentWholeAndInOrder() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel();
    SseStream stream = new SseStream(channel, Long.MAX_VALUE, () -> {}, null, null);
    CompletionWatcher watcher = CompletionWatcher.streaming("r", "m", 1L, stream, false);
    StringBuilder expected = new StringBuilder();
    int deltas = 20_000;
    for (int i = 0; i < deltas; i++) {
      String d = "w" + i + " ";
      expected.append(d);
      watcher.offer(delta(1, i, d));
      if (i % 7 == 0) {
        watcher.offer(delta(1, i, d)); // duplicates from the at-least-once lane
      }
    }
    // A restart repeats it all, then adds an ending.
    int seq = 0;
    for (int i = 0; i < deltas; i++) {
      watcher.offer(delta(2, seq++, "w" + i + " "));
    }
    watcher.offer(delta(2, seq++, "the end"));
    expected.append("the end");
    watcher.offer(end(2, seq, null));
    List<String> data = data(channel);
    StringBuilder text = new StringBuilder();
    for (String d : data.subList(0, data.size() - 1)) {
      text.append(content(d));
    }
    assertThat(text.toString()).isEqualTo(expected.toString());
  }

  @Test
  void lastEventIdsOfTheWrongShapeAreRejected() {
    assertThat(EventId.parse("3-42")).contains(new EventId(3, 42));
    assertThat(EventId.parse("3-")).isEmpty();
    assertThat(EventId.parse("-1")).isEmpty();
    assertThat(EventId.parse("a-b")).isEmpty();
    assertThat(EventId.parse(null)).isEmpty();
  }
}
