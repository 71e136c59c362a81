package dev.runnel.model.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.anthropic.internal.AnthropicStreamProtocol;
import dev.runnel.model.internal.CallSink;
import dev.runnel.model.internal.SseEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Event sequences from Anthropic's streaming reference, fed straight to the protocol. */
class AnthropicStreamProtocolTest {

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

  private static Sink feed(String[]... events) {
    Sink sink = new Sink();
    AnthropicStreamProtocol protocol = new AnthropicStreamProtocol();
    for (String[] e : events) {
      protocol.onEvent(new SseEvent(e[0], e[1], ""), sink);
    }
    return sink;
  }

  private static String[] ev(String type, String data) {
    return new String[] {type, data};
  }

  @Test
  void textWithToolUseThinkingPingsAndUnknownEvents() {
    Sink sink =
        feed(
            ev(
                "message_start",
                "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}"),
            ev(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}"),
            ev(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}"),
            ev(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"x\"}}"),
            ev("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"),
            ev("ping", "{\"type\": \"ping\"}"),
            ev(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
            ev(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"你好\"}}"),
            ev("brand_new_event", "{\"type\":\"brand_new_event\",\"x\":1}"),
            ev(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\" 🌊\"}}"),
            ev("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"),
            ev(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"get\",\"input\":{}}}"),
            ev(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}"),
            ev("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}"),
            ev(
                "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"u\",\"name\":\"now\",\"input\":{}}}"),
            ev("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":3}"),
            ev(
                "message_delta",
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}"),
            ev("message_stop", "{\"type\":\"message_stop\"}"));
    assertThat(sink.deltas).containsExactly("你好", " 🌊");
    assertThat(sink.toolCalls)
        .containsExactly("0|t|get|", "0|null|null|{\"a\":", "1|u|now|", "1|null|null|{}");
    assertThat(sink.finish).isEqualTo(FinishReason.TOOL_CALLS);
    assertThat(sink.usage).isEqualTo(new TokenUsage(25, 15, 40));
    assertThat(sink.error).isNull();
  }

  @Test
  void errorEventMidStreamIsClassified() {
    Sink overloaded =
        feed(
            ev(
                "message_start",
                "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}"),
            ev(
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}"),
            ev(
                "error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
    assertThat(overloaded.error.kind()).isEqualTo(Kind.OVERLOADED);
    assertThat(overloaded.error.retriable()).isTrue();
    assertThat(
            feed(ev(
                    "error",
                    "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"x\"}}"))
                .error
                .kind())
        .isEqualTo(Kind.SERVER_ERROR);
  }

  @Test
  void eventTypeFromTheDataWhenTheEventFieldIsMissing() {
    Sink sink =
        feed(
            ev(
                "message",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}"),
            ev(
                "message",
                "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1}}"),
            ev("message", "{\"type\":\"message_stop\"}"));
    assertThat(sink.deltas).containsExactly("hi");
    assertThat(sink.finish).isEqualTo(FinishReason.STOP);
  }

  @Test
  void endWithoutMessageStopIsADroppedStream() {
    Sink sink = new Sink();
    AnthropicStreamProtocol protocol = new AnthropicStreamProtocol();
    protocol.onEvent(
        new SseEvent(
            "content_block_delta",
            "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}",
            ""),
        sink);
    protocol.onEndOfStream(sink);
    assertThat(sink.error.kind()).isEqualTo(Kind.STREAM_DROPPED);
  }
}
