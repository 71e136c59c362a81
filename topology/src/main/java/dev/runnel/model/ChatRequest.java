package dev.runnel.model;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One streaming chat call: the model and the conversation so far, ending with the new prompt.
 *
 * @param maxTokens upper bound on the reply's tokens, or 0 for the model's default
 * @param tools the tools the model may ask to call (none by default); their names are distinct
 */
public record ChatRequest(
    String model, List<ChatMessage> messages, int maxTokens, List<ToolSpec> tools) {
  public ChatRequest {
    Objects.requireNonNull(model, "model");
    messages = List.copyOf(messages);
    if (maxTokens < 0) {
      throw new IllegalArgumentException("maxTokens must be >= 0, was " + maxTokens);
    }
    tools = List.copyOf(tools);
    Set<String> names = new HashSet<>();
    for (ToolSpec tool : tools) {
      if (!names.add(tool.name())) {
        throw new IllegalArgumentException("two tools are named '" + tool.name() + "'");
      }
    }
  }

  public ChatRequest(String model, List<ChatMessage> messages, int maxTokens) {
    this(model, messages, maxTokens, List.of());
  }

  public ChatRequest(String model, List<ChatMessage> messages) {
    this(model, messages, 0);
  }
}
