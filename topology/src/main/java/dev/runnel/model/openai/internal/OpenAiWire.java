package dev.runnel.model.openai.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolSpec;
import java.util.Locale;

/** The Chat Completions request body. */
public final class OpenAiWire {
  static final ObjectMapper JSON = new ObjectMapper();

  private OpenAiWire() {}

  /**
   * {@code stream: true} with {@code stream_options.include_usage}, so the last chunk before {@code
   * [DONE]} carries the token usage. {@code max_tokens} rather than OpenAI's newer {@code
   * max_completion_tokens}, because every OpenAI-compatible server understands the former. The
   * request's tools go as {@code tools} of type {@code function}; an assistant message's tool calls
   * as its {@code tool_calls} (with {@code content} null when it has no text), a tool's result as a
   * {@code role: tool} message with {@code tool_call_id}.
   */
  public static String requestBody(ChatRequest request) {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", request.model());
    ArrayNode messages = root.putArray("messages");
    for (ChatMessage m : request.messages()) {
      ObjectNode message =
          messages.addObject().put("role", m.role().name().toLowerCase(Locale.ROOT));
      if (m.toolCalls().isEmpty() || !m.content().isEmpty()) {
        message.put("content", m.content());
      } else {
        message.putNull("content");
      }
      if (!m.toolCalls().isEmpty()) {
        ArrayNode calls = message.putArray("tool_calls");
        for (ToolCall call : m.toolCalls()) {
          calls
              .addObject()
              .put("id", call.id())
              .put("type", "function")
              .putObject("function")
              .put("name", call.name())
              .put("arguments", call.arguments());
        }
      }
      if (m.toolCallId() != null) {
        message.put("tool_call_id", m.toolCallId());
      }
    }
    root.put("stream", true);
    root.putObject("stream_options").put("include_usage", true);
    if (request.maxTokens() > 0) {
      root.put("max_tokens", request.maxTokens());
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = root.putArray("tools");
      for (ToolSpec tool : request.tools()) {
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", tool.name());
        if (!tool.description().isEmpty()) {
          function.put("description", tool.description());
        }
        function.set("parameters", tool.parameters());
      }
    }
    return root.toString();
  }
}
