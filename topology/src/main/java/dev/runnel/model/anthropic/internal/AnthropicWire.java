package dev.runnel.model.anthropic.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolSpec;
import java.util.stream.Collectors;

/** The Messages API request body. */
public final class AnthropicWire {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The API requires {@code max_tokens}; used when the request leaves it to the model. */
  public static final int DEFAULT_MAX_TOKENS = 1024;

  private AnthropicWire() {}

  /**
   * System messages go to the top-level {@code system} field, which the API requires; the request's
   * tools go to {@code tools}, each with its parameters as {@code input_schema}. An assistant
   * message's tool calls become {@code tool_use} blocks after its text, and the tool messages that
   * follow become {@code tool_result} blocks of one user message.
   */
  public static String requestBody(ChatRequest request) {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", request.model());
    root.put("max_tokens", request.maxTokens() > 0 ? request.maxTokens() : DEFAULT_MAX_TOKENS);
    String system =
        request.messages().stream()
            .filter(m -> m.role() == ChatMessage.Role.SYSTEM)
            .map(ChatMessage::content)
            .collect(Collectors.joining("\n\n"));
    if (!system.isEmpty()) {
      root.put("system", system);
    }
    ArrayNode messages = root.putArray("messages");
    ArrayNode toolResults = null;
    for (ChatMessage m : request.messages()) {
      switch (m.role()) {
        case SYSTEM -> {}
        case TOOL -> {
          // Results of one turn's calls go together, in one user message.
          if (toolResults == null) {
            toolResults = messages.addObject().put("role", "user").putArray("content");
          }
          toolResults
              .addObject()
              .put("type", "tool_result")
              .put("tool_use_id", m.toolCallId())
              .put("content", m.content());
        }
        case ASSISTANT -> {
          toolResults = null;
          if (m.toolCalls().isEmpty()) {
            messages.addObject().put("role", "assistant").put("content", m.content());
          } else {
            ArrayNode blocks = messages.addObject().put("role", "assistant").putArray("content");
            if (!m.content().isEmpty()) {
              blocks.addObject().put("type", "text").put("text", m.content());
            }
            for (ToolCall call : m.toolCalls()) {
              blocks
                  .addObject()
                  .put("type", "tool_use")
                  .put("id", call.id())
                  .put("name", call.name())
                  .set("input", input(call));
            }
          }
        }
        case USER -> {
          toolResults = null;
          messages.addObject().put("role", "user").put("content", m.content());
        }
      }
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = root.putArray("tools");
      for (ToolSpec tool : request.tools()) {
        ObjectNode spec = tools.addObject().put("name", tool.name());
        if (!tool.description().isEmpty()) {
          spec.put("description", tool.description());
        }
        spec.set("input_schema", tool.parameters());
      }
    }
    root.put("stream", true);
    return root.toString();
  }

  /**
   * A tool call's arguments as the JSON object {@code tool_use.input} must be.
   *
   * @throws IllegalArgumentException when the model wrote arguments that are not a JSON object
   */
  private static JsonNode input(ToolCall call) {
    JsonNode input;
    try {
      input = JSON.readTree(call.arguments().isBlank() ? "{}" : call.arguments());
    } catch (JsonProcessingException e) {
      input = null;
    }
    if (input == null || !input.isObject()) {
      throw new IllegalArgumentException(
          "tool call "
              + call.id()
              + " ("
              + call.name()
              + ") has arguments that are not a JSON object, which Anthropic's tool_use input must"
              + " be");
    }
    return input;
  }
}
