package dev.runnel.model.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.internal.CallSink;
import dev.runnel.model.internal.SseEvent;
import dev.runnel.model.openai.internal.OpenAiStreamProtocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chunk shapes that real OpenAI-compatible servers send, fed straight to the protocol. */
class OpenAiStreamProtocolTest {

  private static final class Sink implements CallSink {
    final List<String> deltas = new ArrayList<>();
    final List<String> toolCalls = new ArrayList<>();
    FinishReason finish;
    TokenUsage usage;
    ModelException error;

    @Override
    public void delta(String text) {
      if (!text.isEmpty()) {
        deltas.add(text);
      }
    }

    @Override
    public void toolCall(int index, String id, String name, String arguments) {
      toolCalls.add(index + "|" + id + "|" + name + "|" + arguments);
    }

    @Override
    public void complete(FinishReason finishReason, TokenUsage u) {
      finish = finishReason;
      usage = u;
    }

    @Override
    public void fail(ModelException e) {
      error = e;
    }

    @Override
    public int deltaCount() {
      return deltas.size();
    }
  }

  private static Sink feed(String... datas) {
    Sink sink = new Sink();
    OpenAiStreamProtocol protocol = new OpenAiStreamProtocol();
    for (String d : datas) {
      protocol.onEvent(new SseEvent("message", d, ""), sink);
    }
    return sink;
  }

  @Test
  void roleChunkNullContentFinishAndUsageChunkWithNoChoices() {
    Sink sink =
        feed(
            "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":null}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}",
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}",
            "[DONE]");
    assertThat(sink.deltas).containsExactly("Hel", "lo");
    assertThat(sink.finish).isEqualTo(FinishReason.STOP);
    assertThat(sink.usage).isEqualTo(new TokenUsage(9, 2, 11));
    assertThat(sink.error).isNull();
  }

  @Test
  void parallelToolCallFragmentsKeepTheirIndexAndTheFinishSaysToolCalls() {
    Sink sink =
        feed(
            "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get\",\"arguments\":\"\"}}]}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"put\",\"arguments\":\"{}\"}}]}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
            "[DONE]");
    assertThat(sink.deltas).isEmpty();
    assertThat(sink.toolCalls)
        .containsExactly(
            "0|call_1|get|", "0|null|null|{\"a\":", "1|call_2|put|{}", "0|null|null|1}");
    assertThat(sink.finish).isEqualTo(FinishReason.TOOL_CALLS);
  }

  @Test
  void otherChoicesAndReasoningAreIgnored() {
    Sink sink =
        feed(
            "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}},{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\",\"content\":\"mine\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}",
            "[DONE]");
    assertThat(sink.deltas).containsExactly("mine");
    assertThat(sink.finish).isEqualTo(FinishReason.LENGTH);
    assertThat(sink.usage).isEqualTo(TokenUsage.NONE);
  }

  @Test
  void errorObjectInTheStreamIsClassified() {
    Sink sink =
        feed(
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}",
            "{\"error\":{\"message\":\"quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}");
    assertThat(sink.error.kind()).isEqualTo(Kind.QUOTA_EXCEEDED);
    assertThat(feed("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}").error.kind())
        .isEqualTo(Kind.SERVER_ERROR);
    // vLLM puts the HTTP status in code.
    assertThat(
            feed("{\"object\":\"error\",\"error\":{\"message\":\"bad\",\"type\":\"Weird\",\"code\":400}}")
                .error
                .kind())
        .isEqualTo(Kind.BAD_REQUEST);
  }

  @Test
  void endWithoutDoneIsAcceptedOnlyAfterAFinishReason() {
    OpenAiStreamProtocol whole = new OpenAiStreamProtocol();
    Sink a = new Sink();
    whole.onEvent(
        new SseEvent(
            "message",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}",
            ""),
        a);
    whole.onEndOfStream(a);
    assertThat(a.finish).isEqualTo(FinishReason.STOP);

    OpenAiStreamProtocol cut = new OpenAiStreamProtocol();
    Sink b = new Sink();
    cut.onEvent(
        new SseEvent("message", "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}", ""),
        b);
    cut.onEndOfStream(b);
    assertThat(b.error.kind()).isEqualTo(Kind.STREAM_DROPPED);
    assertThat(b.error.retriable()).isTrue();
  }

  @Test
  void malformedJsonIsAProtocolError() {
    assertThatThrownBy(() -> feed("{\"choices\": [ oops"))
        .isInstanceOf(ModelException.class)
        .extracting(e -> ((ModelException) e).kind())
        .isEqualTo(Kind.PROTOCOL);
  }
}
