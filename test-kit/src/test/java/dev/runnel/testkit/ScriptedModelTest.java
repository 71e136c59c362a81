package dev.runnel.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.action.StreamingAction;
import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolCallDelta;
import dev.runnel.schemas.SessionState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScriptedModelTest {
  private static final ChatRequest HELLO =
      new ChatRequest("m", List.of(ChatMessage.user("hello model")));

  @Test
  void eventsArriveOnTheModelsOwnThreadInTheOrderScripted() throws Exception {
    try (ScriptedModel model = ScriptedModel.manual()) {
      Recorder events = new Recorder();
      model.stream(HELLO, events);

      model.awaitCall(0).delta("a").delta("b").complete();
      ChatCompletion completion = events.completion.get(10, TimeUnit.SECONDS);

      assertThat(events.deltas).containsExactly("a", "b");
      assertThat(completion.text()).isEqualTo("ab");
      assertThat(completion.usage().promptTokens()).isEqualTo(2);
      assertThat(completion.usage().completionTokens()).isEqualTo(2);
      assertThat(events.threads)
          .hasSize(3)
          .allMatch(name -> name.equals("runnel-scripted-model"))
          .doesNotContain(Thread.currentThread().getName());
      assertThat(model.openCalls()).isZero();
    }
  }

  @Test
  void scriptedToolCallsStreamAsFragmentsAndCompleteMerged() throws Exception {
    try (ScriptedModel model = ScriptedModel.manual()) {
      Recorder events = new Recorder();
      model.stream(HELLO, events);

      model
          .awaitCall(0)
          .toolCall(0, "call_1", "search", "{\"q\":")
          .toolCall(0, null, null, "1}")
          .complete();
      ChatCompletion completion = events.completion.get(10, TimeUnit.SECONDS);

      assertThat(events.fragments)
          .containsExactly(
              new ToolCallDelta(0, "call_1", "search", "{\"q\":"),
              new ToolCallDelta(0, null, null, "1}"));
      assertThat(completion.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
      assertThat(completion.toolCalls())
          .containsExactly(new ToolCall("call_1", "search", "{\"q\":1}"));
    }
  }

  @Test
  void aCancelledCallSendsNoFurtherDeltaAndEndsWithACancelledError() throws Exception {
    try (ScriptedModel model = ScriptedModel.manual()) {
      Recorder events = new Recorder();
      var running = model.stream(HELLO, events);
      ScriptedModel.Call call = model.awaitCall(0).delta("before ");

      running.cancel();
      call.delta("after").complete();
      ModelException error = events.error.get(10, TimeUnit.SECONDS);

      assertThat(error.kind()).isEqualTo(ModelException.Kind.CANCELLED);
      assertThat(call.cancelled()).isTrue();
      assertThat(call.open()).isFalse();
      assertThat(events.deltas).doesNotContain("after");
      assertThat(events.completion).isNotDone();
      assertThat(model.maxOpenCalls()).isEqualTo(1);
      assertThat(model.openCalls()).isZero();
    }
  }

  @Test
  void queuedScriptsAnswerTheNextCallsInOrderThenTheDefaultDoes() throws Exception {
    try (ScriptedModel model =
        ScriptedModel.echoing()
            .thenCall(
                call -> call.fail(new ModelException(ModelException.Kind.RATE_LIMITED, "slow")))) {
      Recorder first = new Recorder();
      Recorder second = new Recorder();
      model.stream(HELLO, first);
      model.stream(HELLO, second);

      assertThat(first.error.get(10, TimeUnit.SECONDS).kind())
          .isEqualTo(ModelException.Kind.RATE_LIMITED);
      assertThat(second.completion.get(10, TimeUnit.SECONDS).text()).isEqualTo("echo: hello model");
      assertThat(model.calls()).extracting(ScriptedModel.Call::prompt).containsOnly("hello model");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_IMMEDIATE, RunnelConfig.LANE_TRANSACTIONAL})
  void theChatActionStreamsTheScriptedReplyAndCountsItsUsage(String lane) {
    try (ScriptedModel model = ScriptedModel.echoing();
        ActionTestDriver driver =
            ActionTestDriver.builder(chat(model, lane))
                .setting(RunnelConfig.DELTA_LANE_CONFIG, lane)
                .build()) {
      String request = driver.send("alice", "what is a stream?");
      SessionState state = driver.awaitFinal("alice", request);

      assertThat(driver.rebuiltText(request)).isEqualTo("echo: what is a stream?");
      assertThat(state.getMessages()).hasSize(2);
      assertThat(state.getUsage().getPromptTokens()).isEqualTo(4);
      assertThat(state.getUsage().getCompletionTokens()).isEqualTo(5);
      assertThat(model.calls().get(0).request().messages())
          .containsExactly(ChatMessage.user("what is a stream?"));
    }
  }

  private static StreamingAction chat(ChatModel model, String lane) {
    return ChatModels.chatAction(
        new RunnelConfig(Map.of(RunnelConfig.DELTA_LANE_CONFIG, lane)), model);
  }

  /** Records one call's events and the threads they arrived on. */
  private static final class Recorder implements StreamListener {
    final List<String> deltas = new CopyOnWriteArrayList<>();
    final List<ToolCallDelta> fragments = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    final CompletableFuture<ChatCompletion> completion = new CompletableFuture<>();
    final CompletableFuture<ModelException> error = new CompletableFuture<>();

    @Override
    public void onDelta(String text) {
      threads.add(Thread.currentThread().getName());
      deltas.add(text);
    }

    @Override
    public void onToolCall(ToolCallDelta fragment) {
      fragments.add(fragment);
    }

    @Override
    public void onComplete(ChatCompletion done) {
      threads.add(Thread.currentThread().getName());
      completion.complete(done);
    }

    @Override
    public void onError(ModelException failure) {
      threads.add(Thread.currentThread().getName());
      error.complete(failure);
    }
  }
}
