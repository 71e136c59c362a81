package dev.runnel.model.anthropic.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ToolSpec;
import java.util.Locale;
import java.util.stream.Collectors;

/** The Messages API request body. */
public final class AnthropicWire {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The API requires {@code max_tokens}; used when the request leaves it to the model. */
  public static final int DEFAULT_MAX_TOKENS = 1024;

  private AnthropicWire() {}

  /**
   * System messages go to the top-level {@code system} field, which the API requires; the request's
   * tools go to {@code tools}, each with its parameters as {@code input_schema}.
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
    for (ChatMessage m : request.messages()) {
      if (m.role() != ChatMessage.Role.SYSTEM) {
        messages
            .addObject()
            .put("role", m.role().name().toLowerCase(Locale.ROOT))
            .put("content", m.content());
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
}
