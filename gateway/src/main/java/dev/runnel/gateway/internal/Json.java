package dev.runnel.gateway.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import java.io.UncheckedIOException;
import java.util.Locale;

/** JSON shapes the gateway writes. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static String write(Object node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code {"error":{"code":..,"message":..,"type":..}}}; {@code type} is what OpenAI clients read.
   */
  static ObjectNode error(String code, String message, String type) {
    ObjectNode root = MAPPER.createObjectNode();
    root.putObject("error")
        .put("message", message)
        .put("type", type)
        .putNull("param")
        .put("code", code);
    return root;
  }

  /** A chunk as the events endpoint sends it. */
  static ObjectNode chunk(Chunk chunk) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("sessionId", chunk.getSessionId());
    node.put("requestId", chunk.getRequestId());
    node.put("attempt", chunk.getAttempt());
    node.put("sequence", chunk.getSequence());
    node.put("delta", chunk.getDelta());
    node.put("end", chunk.getEnd());
    node.put("callId", chunk.getCallId());
    node.put("step", chunk.getStep());
    node.put("action", chunk.getAction());
    if (chunk.getToolCall() != null) {
      node.putObject("toolCall")
          .put("index", chunk.getToolCall().getIndex())
          .put("id", chunk.getToolCall().getId())
          .put("name", chunk.getToolCall().getName())
          .put("arguments", chunk.getToolCall().getArguments());
    }
    if (chunk.getToolResult() != null) {
      node.putObject("toolResult")
          .put("callId", chunk.getToolResult().getCallId())
          .put("content", chunk.getToolResult().getContent());
    }
    if (chunk.getApproval() != null) {
      node.putObject("approval")
          .put("requestId", chunk.getApproval().getRequestId())
          .put("callId", chunk.getApproval().getCallId())
          .put("tool", chunk.getApproval().getTool())
          .put("arguments", chunk.getApproval().getArguments())
          .put("deadline", chunk.getApproval().getDeadline().toString());
    }
    if (chunk.getEnd()) {
      node.put(
          "finishReason",
          chunk.getFinishReason() == null
              ? null
              : chunk.getFinishReason().name().toLowerCase(Locale.ROOT));
      if (chunk.getUsage() != null) {
        node.putObject("usage")
            .put("promptTokens", chunk.getUsage().getPromptTokens())
            .put("completionTokens", chunk.getUsage().getCompletionTokens())
            .put("totalTokens", chunk.getUsage().getTotalTokens());
      }
      if (chunk.getError() != null) {
        node.putObject("error")
            .put("kind", chunk.getError().getKind())
            .put("message", chunk.getError().getMessage())
            .put("retriable", chunk.getError().getRetriable());
      }
      if (chunk.getTextLength() != null) {
        node.put("textLength", chunk.getTextLength());
      }
    }
    return node;
  }
}
