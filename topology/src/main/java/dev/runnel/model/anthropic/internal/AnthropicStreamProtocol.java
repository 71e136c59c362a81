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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The Messages streaming events: {@code message_start} (input tokens), {@code content_block_start},
 * {@code content_block_delta}, {@code content_block_stop}, {@code message_delta} (stop reason,
 * cumulative output tokens), {@code message_stop}, {@code ping} and {@code error}.
 *
 * <p>{@code text_delta} becomes text. A {@code tool_use} content block is a tool call: its start
 * gives the call's id and name, its {@code input_json_delta} pieces the arguments' JSON text (a
 * block with none has the arguments {@code {}}, Anthropic's empty input); tool calls are numbered
 * from 0 in the order their blocks start. {@code thinking_delta}, {@code signature_delta}, {@code
 * citations_delta} and server-side tool blocks ({@code server_tool_use}, run by Anthropic) are
 * deliberately ignored: they are not part of the reply Runnel hosts. Unknown event types are
 * ignored, as Anthropic's versioning policy asks of clients. The event type comes from the {@code
 * event:} field, or from the data's {@code type} when a proxy dropped that field.
 */
public final class AnthropicStreamProtocol implements SseProtocol {
  private long inputTokens;
  private long outputTokens;
  private FinishReason finishReason;
  // content block index -> the tool call it holds, and whether its input had any piece
  private final Map<Integer, Integer> toolBlocks = new HashMap<>();
  private final Set<Integer> toolsWithInput = new HashSet<>();

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
        switch (block.path("type").asText()) {
          case "text" -> sink.delta(block.path("text").asText(""));
          case "tool_use" -> {
            int call = toolBlocks.size();
            toolBlocks.put(data.path("index").asInt(), call);
            sink.toolCall(call, block.path("id").asText(null), block.path("name").asText(null), "");
          }
          default -> {
            // thinking and server-side tool blocks: see the class comment
          }
        }
      }
      case "content_block_delta" -> {
        JsonNode delta = data.path("delta");
        switch (delta.path("type").asText()) {
          case "text_delta" -> sink.delta(delta.path("text").asText(""));
          case "input_json_delta" -> {
            Integer call = toolBlocks.get(data.path("index").asInt());
            if (call == null) {
              throw new ModelException(
                  Kind.PROTOCOL,
                  "input_json_delta for content block "
                      + data.path("index").asInt()
                      + ", which is not a tool_use block");
            }
            String piece = delta.path("partial_json").asText("");
            if (!piece.isEmpty()) {
              toolsWithInput.add(call);
              sink.toolCall(call, null, null, piece);
            }
          }
          default -> {
            // thinking, signature and citations deltas: see the class comment
          }
        }
      }
      case "content_block_stop" -> {
        Integer call = toolBlocks.get(data.path("index").asInt());
        if (call != null && !toolsWithInput.contains(call)) {
          sink.toolCall(call, null, null, "{}");
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
        // ping and types newer than this client carry nothing Runnel needs.
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
