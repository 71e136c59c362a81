package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** How one request's chunks become an OpenAI completion, including restarts and failures. */
class CompletionWatcherTest {
  private long offset;

  private ChunkEvent delta(int attempt, int sequence, String text) {
    return new ChunkEvent(
        0,
        offset++,
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(attempt)
            .setSequence(sequence)
            .setDelta(text)
            .build());
  }

  private ChunkEvent end(int attempt, int sequence, ErrorInfo error) {
    return new ChunkEvent(
        0,
        offset++,
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(attempt)
            .setSequence(sequence)
            .setEnd(true)
            .setFinishReason(error == null ? FinishReason.STOP : FinishReason.ERROR)
            .setUsage(new TokenUsage(3L, 4L, 7L))
            .setError(error)
            .build());
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

  @Test
  void aRestartThatRepeatsTheTextSendsOnlyWhatIsNew() throws Exception {
    EmbeddedChannel channel = new EmbeddedChannel();
    SseStream stream = new SseStream(channel, 1 << 20, () -> {});
    stream.open(null, null);
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
    SseStream stream = new SseStream(channel, 1 << 20, () -> {});
    stream.open(null, null);
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
    AtomicReference<ObjectNode> error = new AtomicReference<>();
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
    assertThat(error.get().at("/error/code").asText()).isEqualTo("rate_limited");
    assertThat(error.get().at("/error/message").asText()).isEqualTo("slow down");
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
