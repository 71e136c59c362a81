package dev.runnel.connect.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.MessageToolCall;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.serde.StateFields;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * The flat row a {@link SessionState} becomes in Kafka Connect. Nested parts (the conversation, the
 * action's fields, the last error, the last result's value) are JSON text, so every SQL database
 * stores them and PostgreSQL can cast them to {@code jsonb} in a query.
 */
public final class SessionRows {
  /** Connect schema of a session row; column names are the field names. */
  public static final Schema SCHEMA =
      SchemaBuilder.struct()
          .name("dev.runnel.connect.SessionRow")
          .version(1)
          .doc("Latest state of one Runnel session")
          .field("session_id", Schema.STRING_SCHEMA)
          .field("version", Schema.INT64_SCHEMA)
          .field("last_request_id", Schema.OPTIONAL_STRING_SCHEMA)
          .field("last_status", Schema.OPTIONAL_STRING_SCHEMA)
          .field("last_error", Schema.OPTIONAL_STRING_SCHEMA)
          .field("last_result", Schema.OPTIONAL_STRING_SCHEMA)
          .field("messages", Schema.STRING_SCHEMA)
          .field("prompt_tokens", Schema.INT64_SCHEMA)
          .field("completion_tokens", Schema.INT64_SCHEMA)
          .field("total_tokens", Schema.INT64_SCHEMA)
          .field("fields", Schema.STRING_SCHEMA)
          .field("updated_at", Timestamp.SCHEMA)
          .optional()
          .build();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<Map<String, Object>>> MESSAGES = new TypeReference<>() {};
  private static final TypeReference<Map<String, JsonNode>> FIELDS = new TypeReference<>() {};

  private SessionRows() {}

  /** The row of one session state. */
  public static Struct toRow(SessionState state) {
    TokenUsage usage = state.getUsage();
    return new Struct(SCHEMA)
        .put("session_id", state.getSessionId())
        .put("version", state.getVersion())
        .put("last_request_id", state.getLastRequestId())
        .put(
            "last_status",
            state.getLastStatus() == null
                ? null
                : state.getLastStatus().name().toLowerCase(Locale.ROOT))
        .put("last_error", state.getLastError() == null ? null : json(error(state.getLastError())))
        .put("last_result", state.getLastResult())
        .put("messages", json(messages(state.getMessages())))
        .put("prompt_tokens", usage.getPromptTokens())
        .put("completion_tokens", usage.getCompletionTokens())
        .put("total_tokens", usage.getTotalTokens())
        .put("fields", json(StateFields.read(state)))
        .put("updated_at", Date.from(state.getUpdatedAt()));
  }

  /** The session state a row describes; the inverse of {@link #toRow}. */
  public static SessionState fromRow(Struct row) {
    row.validate();
    try {
      List<Message> messages = new ArrayList<>();
      for (Map<String, Object> m : JSON.readValue(row.getString("messages"), MESSAGES)) {
        List<MessageToolCall> calls = new ArrayList<>();
        for (Map<String, String> call : toolCalls(m.get("tool_calls"))) {
          calls.add(new MessageToolCall(call.get("id"), call.get("name"), call.get("arguments")));
        }
        messages.add(
            new Message(
                Role.valueOf(((String) m.get("role")).toUpperCase(Locale.ROOT)),
                (String) m.get("content"),
                (String) m.get("request_id"),
                calls,
                (String) m.get("tool_call_id")));
      }
      String error = row.getString("last_error");
      ErrorInfo lastError = null;
      if (error != null) {
        Map<String, Object> e = JSON.readValue(error, new TypeReference<Map<String, Object>>() {});
        lastError =
            new ErrorInfo(
                (String) e.get("kind"), (String) e.get("message"), (Boolean) e.get("retriable"));
      }
      String status = row.getString("last_status");
      SessionState.Builder state = SessionState.newBuilder();
      StateFields.writeAll(JSON.readValue(row.getString("fields"), FIELDS), state);
      return state
          .setSessionId(row.getString("session_id"))
          .setVersion(row.getInt64("version"))
          .setMessages(messages)
          .setLastRequestId(row.getString("last_request_id"))
          .setLastStatus(
              status == null ? null : RequestStatus.valueOf(status.toUpperCase(Locale.ROOT)))
          .setLastError(lastError)
          .setLastResult(row.getString("last_result"))
          .setUsage(
              new TokenUsage(
                  row.getInt64("prompt_tokens"),
                  row.getInt64("completion_tokens"),
                  row.getInt64("total_tokens")))
          .setUpdatedAt(((Date) row.get("updated_at")).toInstant())
          .build();
    } catch (JsonProcessingException | IllegalArgumentException | ClassCastException e) {
      throw new DataException("Not a Runnel session row: " + e.getMessage(), e);
    }
  }

  private static List<Map<String, Object>> messages(List<Message> messages) {
    List<Map<String, Object>> out = new ArrayList<>(messages.size());
    for (Message m : messages) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("role", m.getRole().name().toLowerCase(Locale.ROOT));
      entry.put("content", m.getContent());
      if (m.getRequestId() != null) {
        entry.put("request_id", m.getRequestId());
      }
      if (!m.getToolCalls().isEmpty()) {
        List<Map<String, String>> calls = new ArrayList<>();
        for (MessageToolCall call : m.getToolCalls()) {
          Map<String, String> c = new LinkedHashMap<>();
          c.put("id", call.getId());
          c.put("name", call.getName());
          c.put("arguments", call.getArguments());
          calls.add(c);
        }
        entry.put("tool_calls", calls);
      }
      if (m.getToolCallId() != null) {
        entry.put("tool_call_id", m.getToolCallId());
      }
      out.add(entry);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, String>> toolCalls(Object calls) {
    return calls == null ? List.of() : (List<Map<String, String>>) calls;
  }

  private static Map<String, Object> error(ErrorInfo error) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", error.getKind());
    out.put("message", error.getMessage());
    out.put("retriable", error.getRetriable());
    return out;
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new DataException("Cannot write session JSON: " + e.getMessage(), e);
    }
  }
}
