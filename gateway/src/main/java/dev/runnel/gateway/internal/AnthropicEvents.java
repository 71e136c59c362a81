package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * One Anthropic Messages reply, derived from its request's chunk records: the stream's events
 * ({@code message_start}, {@code content_block_start}, {@code ping}, {@code content_block_delta}
 * with {@code text_delta}, {@code content_block_stop}, {@code message_delta} with the stop reason
 * and usage, {@code message_stop}; an {@code error} event when the request failed) and the whole
 * message.
 */
final class AnthropicEvents {
  /** One event: its type and JSON body. */
  record Event(String type, ObjectNode data) {
    String sse() {
      return "event: " + type + "\ndata: " + Json.write(data) + "\n\n";
    }
  }

  private final String requestId;
  private final String model;
  private final ReplyText reply;
  private Chunk end;
  private ApiError failure;

  AnthropicEvents(String requestId, String model) {
    this.requestId = requestId;
    this.model = model;
    this.reply = new ReplyText(requestId);
  }

  String messageId() {
    return "msg_" + requestId;
  }

  /** The events a stream begins with. */
  List<Event> start() {
    ObjectNode message = message(null);
    message.putArray("content");
    message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
    ObjectNode start = event("message_start");
    start.set("message", message);
    ObjectNode blockStart = event("content_block_start").put("index", 0);
    blockStart.putObject("content_block").put("type", "text").put("text", "");
    return List.of(
        new Event("message_start", start),
        new Event("content_block_start", blockStart),
        new Event("ping", event("ping")));
  }

  boolean ended() {
    return end != null || failure != null;
  }

  /** Why the request did not produce a message; null while it did not fail. */
  ApiError failure() {
    return failure;
  }

  /** Takes the next chunk of the session; returns the events it makes. */
  List<Event> accept(Chunk chunk) {
    if (ended()) {
      return List.of();
    }
    ReplyText.Step step = reply.accept(chunk);
    List<Event> out = new ArrayList<>();
    if (step.diverged()) {
      fail(
          ApiError.of(
              HttpResponseStatus.BAD_GATEWAY,
              "attempt_diverged",
              "the request was restarted and the new call's text differs from what was streamed"),
          out);
      return out;
    }
    if (!step.fresh().isEmpty()) {
      ObjectNode delta = event("content_block_delta").put("index", 0);
      delta.putObject("delta").put("type", "text_delta").put("text", step.fresh());
      out.add(new Event("content_block_delta", delta));
    }
    Chunk last = step.end();
    if (last == null) {
      return out;
    }
    if (last.getError() != null) {
      fail(ApiError.ofModel(last.getError()), out);
      return out;
    }
    if (last.getFinishReason() == FinishReason.CANCELLED) {
      fail(ApiError.cancelled("the request was cancelled before it finished"), out);
      return out;
    }
    end = last;
    out.add(new Event("content_block_stop", event("content_block_stop").put("index", 0)));
    ObjectNode messageDelta = event("message_delta");
    messageDelta.putObject("delta").put("stop_reason", stopReason(last)).putNull("stop_sequence");
    messageDelta.set("usage", usage(last));
    out.add(new Event("message_delta", messageDelta));
    out.add(new Event("message_stop", event("message_stop")));
    return out;
  }

  private void fail(ApiError error, List<Event> out) {
    failure = error;
    out.add(new Event("error", AnthropicMessages.errorBody(error)));
  }

  /** The whole message, once the reply ended without an error. */
  ObjectNode message() {
    ObjectNode m = message(stopReason(end));
    m.putArray("content").addObject().put("type", "text").put("text", reply.text());
    m.set("usage", usage(end));
    return m;
  }

  private ObjectNode message(String stopReason) {
    ObjectNode m = Json.MAPPER.createObjectNode();
    m.put("id", messageId());
    m.put("type", "message");
    m.put("role", "assistant");
    m.put("model", model);
    m.put("stop_reason", stopReason);
    m.putNull("stop_sequence");
    return m;
  }

  private static ObjectNode usage(Chunk last) {
    ObjectNode u = Json.MAPPER.createObjectNode();
    u.put("input_tokens", last.getUsage() == null ? 0 : last.getUsage().getPromptTokens());
    u.put("output_tokens", last.getUsage() == null ? 0 : last.getUsage().getCompletionTokens());
    return u;
  }

  private static String stopReason(Chunk last) {
    FinishReason reason = last.getFinishReason();
    if (reason == null) {
      return "end_turn";
    }
    return switch (reason) {
      case LENGTH -> "max_tokens";
      case TOOL_CALLS -> "tool_use";
      case CONTENT_FILTER -> "refusal";
      default -> "end_turn";
    };
  }

  private static ObjectNode event(String type) {
    return Json.MAPPER.createObjectNode().put("type", type);
  }
}
