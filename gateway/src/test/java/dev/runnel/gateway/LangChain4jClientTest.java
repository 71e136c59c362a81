package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LangChain4j's OpenAI streaming client, unmodified, pointed at the gateway: a reply streams, and a
 * request the model refuses reaches the handler's {@code onError} (not an empty reply).
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LangChain4jClientTest {
  private static final int TOKENS = 10;
  private static TestRunnel runnel;

  @BeforeAll
  static void start() throws Exception {
    runnel =
        TestRunnel.start(
            "gw-lc4j",
            2,
            1,
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(200)
                .withReplyTokens(TOKENS));
  }

  @AfterAll
  static void stop() {
    if (runnel != null) {
      runnel.close();
    }
  }

  /** What the handler was told: the text it received, and how the stream ended. */
  private static final class Outcome implements StreamingChatResponseHandler {
    final StringBuilder partial = new StringBuilder();
    final CompletableFuture<ChatResponse> completed = new CompletableFuture<>();
    final CompletableFuture<Throwable> failed = new CompletableFuture<>();

    @Override
    public void onPartialResponse(String text) {
      partial.append(text);
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
      completed.complete(response);
    }

    @Override
    public void onError(Throwable error) {
      failed.complete(error);
    }

    /** The first of the two ends. */
    Object end() {
      return CompletableFuture.anyOf(completed, failed).orTimeout(60, TimeUnit.SECONDS).join();
    }
  }

  private static OpenAiStreamingChatModel client() {
    return OpenAiStreamingChatModel.builder()
        .baseUrl(runnel.gateway.url() + "/v1")
        .apiKey("not-needed")
        .modelName("runnel-sim")
        .timeout(Duration.ofSeconds(60))
        .build();
  }

  @Test
  void aReplyStreams() {
    Outcome outcome = new Outcome();
    client().chat("hello from langchain4j", outcome);

    assertThat(outcome.end()).isInstanceOf(ChatResponse.class);
    assertThat(outcome.completed.join().aiMessage().text())
        .isEqualTo(SimulatedReplies.reply("hello from langchain4j", TOKENS));
  }

  @Test
  void aRefusedRequestIsAnErrorNotAnEmptyReply() {
    runnel.simulator.enqueue("fault=bad_request");
    Outcome outcome = new Outcome();
    client().chat("refuse me", outcome);

    Object end = outcome.end();
    assertThat(end).as("the handler was told the stream succeeded").isInstanceOf(Throwable.class);
    assertThat(((Throwable) end).getMessage()).contains("bad_request");
    assertThat(outcome.partial.toString()).isEmpty();
  }
}
