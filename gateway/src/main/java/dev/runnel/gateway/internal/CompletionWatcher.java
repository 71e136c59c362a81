package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;
import java.util.function.Consumer;

/**
 * Turns one request's chunks into an OpenAI chat completion: {@code chat.completion.chunk} events
 * ending with {@code data: [DONE]} when streaming, one {@code chat.completion} object otherwise.
 *
 * <p>A restarted attempt cannot be retracted from an OpenAI client, so when streaming, the new
 * attempt's text is checked against what was already sent: while it repeats it, nothing is sent;
 * past it, only the new part is. If it differs, the stream ends with an error event rather than a
 * reply that mixes two attempts.
 */
final class CompletionWatcher implements Watcher {
  private final String requestId;
  private final String model;
  private final long created;
  private final SseStream stream;
  private final boolean includeUsage;
  private final Consumer<ObjectNode> onResponse;
  private final Consumer<ObjectNode> onError;
  private int attempt;
  private int nextSequence;
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder sent = new StringBuilder();
  private boolean done;

  /** A streaming completion over {@code stream}. */
  static CompletionWatcher streaming(
      String requestId, String model, long created, SseStream stream, boolean includeUsage) {
    return new CompletionWatcher(requestId, model, created, stream, includeUsage, null, null);
  }

  /** A whole completion handed to {@code onResponse}, or an error body to {@code onError}. */
  static CompletionWatcher whole(
      String requestId,
      String model,
      long created,
      Consumer<ObjectNode> onResponse,
      Consumer<ObjectNode> onError) {
    return new CompletionWatcher(requestId, model, created, null, false, onResponse, onError);
  }

  private CompletionWatcher(
      String requestId,
      String model,
      long created,
      SseStream stream,
      boolean includeUsage,
      Consumer<ObjectNode> onResponse,
      Consumer<ObjectNode> onError) {
    this.requestId = requestId;
    this.model = model;
    this.created = created;
    this.stream = stream;
    this.includeUsage = includeUsage;
    this.onResponse = onResponse;
    this.onError = onError;
  }

  /** The OpenAI id of this completion. */
  String completionId() {
    return "chatcmpl-" + requestId;
  }

  /** Sends the first chunk, carrying the assistant role, as OpenAI does. */
  void start() {
    if (stream != null) {
      ObjectNode delta = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
      stream.event(null, Json.write(chunk(delta, null)));
    }
  }

  @Override
  public synchronized boolean offer(ChunkEvent event) {
    Chunk chunk = event.chunk();
    if (done || !requestId.equals(chunk.getRequestId())) {
      return !done && (stream == null || stream.isOpen());
    }
    if (chunk.getAttempt() < attempt) {
      return true;
    }
    if (chunk.getAttempt() > attempt) {
      attempt = chunk.getAttempt();
      nextSequence = 0;
      text.setLength(0);
    }
    if (chunk.getSequence() < nextSequence) {
      return true; // a delta delivered twice by the at-least-once lane
    }
    nextSequence = chunk.getSequence() + 1;
    if (chunk.getEnd()) {
      done = true;
      end(chunk);
      return false;
    }
    text.append(chunk.getDelta());
    return stream == null || sendNew();
  }

  private boolean sendNew() {
    int overlap = Math.min(text.length(), sent.length());
    if (!text.substring(0, overlap).contentEquals(sent.subSequence(0, overlap))) {
      done = true;
      fail(
          "attempt_diverged",
          "the request was restarted and the new attempt's text differs from what was streamed");
      return false;
    }
    if (text.length() <= sent.length()) {
      return true;
    }
    String fresh = text.substring(sent.length());
    sent.append(fresh);
    ObjectNode delta = Json.MAPPER.createObjectNode().put("content", fresh);
    return stream.event(null, Json.write(chunk(delta, null)));
  }

  private void end(Chunk chunk) {
    if (chunk.getError() != null) {
      fail(
          chunk.getError().getKind().toLowerCase(java.util.Locale.ROOT),
          chunk.getError().getMessage());
      return;
    }
    String finish = finishReason(chunk.getFinishReason());
    if (stream != null) {
      if (sendNew()) {
        stream.event(null, Json.write(chunk(Json.MAPPER.createObjectNode(), finish)));
        if (includeUsage) {
          ObjectNode last = chunk(null, null);
          last.set("usage", usage(chunk.getUsage()));
          stream.event(null, Json.write(last));
        }
        stream.event(null, "[DONE]");
        stream.finish();
      }
      return;
    }
    ObjectNode response = Json.MAPPER.createObjectNode();
    response.put("id", completionId());
    response.put("object", "chat.completion");
    response.put("created", created);
    response.put("model", model);
    ObjectNode choice = response.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", text.toString());
    choice.putNull("logprobs");
    choice.put("finish_reason", finish);
    response.set("usage", usage(chunk.getUsage()));
    onResponse.accept(response);
  }

  private ObjectNode chunk(ObjectNode delta, String finishReason) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("id", completionId());
    node.put("object", "chat.completion.chunk");
    node.put("created", created);
    node.put("model", model);
    ArrayNode choices = node.putArray("choices");
    if (delta != null) {
      ObjectNode choice = choices.addObject();
      choice.put("index", 0);
      choice.set("delta", delta);
      choice.putNull("logprobs");
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
    }
    return node;
  }

  private static ObjectNode usage(TokenUsage usage) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("prompt_tokens", usage == null ? 0 : usage.getPromptTokens());
    node.put("completion_tokens", usage == null ? 0 : usage.getCompletionTokens());
    node.put("total_tokens", usage == null ? 0 : usage.getTotalTokens());
    return node;
  }

  private static String finishReason(FinishReason reason) {
    if (reason == null) {
      return "stop";
    }
    return switch (reason) {
      case LENGTH -> "length";
      case CONTENT_FILTER -> "content_filter";
      case TOOL_CALLS -> "tool_calls";
      default -> "stop";
    };
  }

  @Override
  public synchronized void fail(String code, String message) {
    done = true;
    ObjectNode error = Json.error(code, message, "server_error");
    if (stream != null) {
      stream.event(null, Json.write(error));
      stream.finish();
    } else {
      onError.accept(error);
    }
  }
}
