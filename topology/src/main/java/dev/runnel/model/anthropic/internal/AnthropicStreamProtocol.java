package dev.runnel.model.anthropic.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.internal.CallSink;
import dev.runnel.model.internal.ModelErrors;
import dev.runnel.model.internal.SseEvent;
import dev.runnel.model.internal.SseProtocol;

/**
 * The Messages streaming events: {@code message_start} (input tokens), {@code content_block_start},
 * {@code content_block_delta}, {@code content_block_stop}, {@code message_delta} (stop reason,
 * cumulative output tokens), {@code message_stop}, {@code ping} and {@code error}.
 *
 * <p>Only {@code text_delta} becomes text. {@code input_json_delta} (tool input), {@code
 * thinking_delta}, {@code signature_delta} and {@code citations_delta} are deliberately ignored:
 * the chat action streams text only. Unknown event types are ignored, as Anthropic's versioning
 * policy asks of clients. The event type comes from the {@code event:} field, or from the data's
 * {@code type} when a proxy dropped that field.
 */
public final class AnthropicStreamProtocol implements SseProtocol {
  private long inputTokens;
  private long outputTokens;
  private FinishReason finishReason;

  @Override
  public void onEvent(SseEvent event, CallSink sink) {
    JsonNode data = parse(event.data(), sink);
    String type = "message".equals(event.type()) ? data.path("type").asText("") : event.type();
    switch (type) {
      case "message_start" -> {
        JsonNode usage = data.path("message").path("usage");
        inputTokens = usage.path("input_tokens").asLong(0);
        outputTokens = usage.path("output_tokens").asLong(0);
      }
      case "content_block_start" -> {
        JsonNode block = data.path("content_block");
        if ("text".equals(block.path("type").asText())) {
          sink.delta(block.path("text").asText(""));
        }
      }
      case "content_block_delta" -> {
        JsonNode delta = data.path("delta");
        if ("text_delta".equals(delta.path("type").asText())) {
          sink.delta(delta.path("text").asText(""));
        }
      }
      case "message_delta" -> {
        JsonNode reason = data.path("delta").path("stop_reason");
        if (reason.isTextual()) {
          finishReason = finishReason(reason.asText());
        }
        JsonNode output = data.path("usage").path("output_tokens");
        if (output.isNumber()) {
          outputTokens = output.asLong();
        }
        JsonNode input = data.path("usage").path("input_tokens");
        if (input.isNumber()) {
          inputTokens = input.asLong();
        }
      }
      case "message_stop" ->
          sink.complete(
              finishReason == null ? FinishReason.UNKNOWN : finishReason,
              new TokenUsage(inputTokens, outputTokens, inputTokens + outputTokens));
      case "error" -> sink.fail(ModelErrors.forStreamError(data.path("error")));
      default -> {
        // ping, content_block_stop and types newer than this client carry nothing Runnel needs.
      }
    }
  }

  @Override
  public void onEndOfStream(CallSink sink) {
    sink.fail(
        new ModelException(
            Kind.STREAM_DROPPED,
            "the stream ended without message_stop after " + sink.deltaCount() + " deltas"));
  }

  private static JsonNode parse(String data, CallSink sink) {
    try {
      JsonNode node = AnthropicWire.JSON.readTree(data);
      if (node == null || !node.isObject()) {
        throw new ModelException(Kind.PROTOCOL, "event data is not a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ModelException(
          Kind.PROTOCOL,
          "malformed JSON in event after "
              + sink.deltaCount()
              + " deltas: "
              + e.getOriginalMessage(),
          null,
          e);
    }
  }

  static FinishReason finishReason(String reason) {
    return switch (reason) {
      case "end_turn", "stop_sequence" -> FinishReason.STOP;
      case "max_tokens", "model_context_window_exceeded" -> FinishReason.LENGTH;
      case "tool_use" -> FinishReason.TOOL_CALLS;
      case "refusal" -> FinishReason.CONTENT_FILTER;
      default -> FinishReason.UNKNOWN;
    };
  }
}
