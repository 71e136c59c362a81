package dev.runnel.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ChatStream;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.config.types.Password;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The blocking stream of deltas over the OpenAI-compatible client and the simulated server. */
@Timeout(60)
class ChatStreamTest {
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

  private static ChatStream open(String prompt) {
    return model.stream(new ChatRequest("m", List.of(ChatMessage.user(prompt))));
  }

  private static RecordedRequest requestWith(String prompt) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.requests().stream().anyMatch(r -> r.prompt().equals(prompt)));
    return server.requests().stream().filter(r -> r.prompt().equals(prompt)).findFirst().get();
  }

  @Test
  void theDeltasThenTheCompletionWhoseTextIsTheirConcatenation() {
    StringBuilder text = new StringBuilder();
    try (ChatStream stream = open("count to ten")) {
      for (String delta : stream) {
        text.append(delta);
      }
      ChatCompletion completion = stream.completion();
      assertThat(completion.text()).isNotEmpty().isEqualTo(text.toString());
      assertThat(completion.finishReason()).isEqualTo(FinishReason.STOP);
    }
  }

  @Test
  void theCompletionIsNotThereWhileDeltasRemain() {
    try (ChatStream stream = open("not yet")) {
      assertThatThrownBy(stream::completion).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void aFailedCallThrowsItsErrorFromTheLoop() {
    server.enqueue("fault=bad_request");
    try (ChatStream stream = open("bad request")) {
      assertThatThrownBy(stream::hasNext)
          .isInstanceOfSatisfying(
              ModelException.class,
              e -> assertThat(e.kind()).isEqualTo(ModelException.Kind.BAD_REQUEST));
    }
  }

  @Test
  void closingTheStreamCancelsTheCall() {
    String prompt = "a long answer, then abandoned";
    server.enqueue("tokens=10000;tps=50");
    try (ChatStream stream = open(prompt)) {
      stream.next();
    }
    RecordedRequest request = requestWith(prompt);
    await().atMost(Duration.ofSeconds(10)).until(request::clientDisconnected);
    assertThat(request.responseFinished()).isFalse();
  }

  @Test
  void interruptingTheReaderCancelsTheCall() throws Exception {
    String prompt = "a long answer, then interrupted";
    server.enqueue("tokens=10000;tps=50");
    AtomicInteger read = new AtomicInteger();
    CountDownLatch reading = new CountDownLatch(1);
    CompletableFuture<Throwable> thrown = new CompletableFuture<>();
    CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              ChatStream stream = open(prompt);
              try {
                for (String ignored : stream) {
                  read.incrementAndGet();
                  reading.countDown();
                }
                thrown.complete(null);
              } catch (RuntimeException e) {
                thrown.complete(e);
              }
              stillInterrupted.complete(Thread.currentThread().isInterrupted());
            });
    reader.start();
    assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();

    reader.interrupt();

    assertThat(thrown.get(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(
            ModelException.class,
            e -> assertThat(e.kind()).isEqualTo(ModelException.Kind.CANCELLED));
    assertThat(stillInterrupted.get(10, TimeUnit.SECONDS)).isTrue();
    RecordedRequest request = requestWith(prompt);
    await().atMost(Duration.ofSeconds(10)).until(request::clientDisconnected);
    assertThat(request.responseFinished()).isFalse();
  }
}
