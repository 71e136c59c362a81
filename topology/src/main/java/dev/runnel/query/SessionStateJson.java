package dev.runnel.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.MessageToolCall;
import dev.runnel.schemas.PendingApproval;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.serde.StateFields;

/**
 * The JSON form of a {@link SessionState} that the state-query endpoint and the gateway serve.
 * Written out field by field because Avro's own {@code toString} renders timestamps as bare,
 * invalid JSON.
 */
public final class SessionStateJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SessionStateJson() {}

  /** The state as a JSON object. */
  public static ObjectNode toJson(SessionState state) {
    ObjectNode node = JSON.createObjectNode();
    node.put("sessionId", state.getSessionId());
    node.put("version", state.getVersion());
    ArrayNode messages = node.putArray("messages");
    for (Message m : state.getMessages()) {
      ObjectNode message = messages.addObject();
      message.put("role", m.getRole().name().toLowerCase(java.util.Locale.ROOT));
      message.put("content", m.getContent());
      message.put("requestId", m.getRequestId());
      if (!m.getToolCalls().isEmpty()) {
        ArrayNode calls = message.putArray("toolCalls");
        for (MessageToolCall call : m.getToolCalls()) {
          calls
              .addObject()
              .put("id", call.getId())
              .put("name", call.getName())
              .put("arguments", call.getArguments());
        }
      }
      if (m.getToolCallId() != null) {
        message.put("toolCallId", m.getToolCallId());
      }
    }
    node.put("lastRequestId", state.getLastRequestId());
    node.put("lastStatus", state.getLastStatus() == null ? null : state.getLastStatus().name());
    ErrorInfo error = state.getLastError();
    if (error == null) {
      node.putNull("lastError");
    } else {
      node.putObject("lastError")
          .put("kind", error.getKind())
          .put("message", error.getMessage())
          .put("retriable", error.getRetriable());
    }
    node.set("lastResult", StateFields.lastResult(state).orElse(NullNode.getInstance()));
    TokenUsage usage = state.getUsage();
    node.putObject("usage")
        .put("promptTokens", usage.getPromptTokens())
        .put("completionTokens", usage.getCompletionTokens())
        .put("totalTokens", usage.getTotalTokens());
    ObjectNode fields = node.putObject("fields");
    StateFields.read(state).forEach(fields::set);
    ArrayNode approvals = node.putArray("pendingApprovals");
    for (PendingApproval pending : state.getPendingApprovals()) {
      approvals
          .addObject()
          .put("requestId", pending.getRequestId())
          .put("callId", pending.getCallId())
          .put("tool", pending.getTool())
          .put("arguments", pending.getArguments())
          .put("deadline", pending.getDeadline().toString());
    }
    node.put("updatedAt", state.getUpdatedAt() == null ? null : state.getUpdatedAt().toString());
    return node;
  }
}
