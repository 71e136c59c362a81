package dev.runnel.model;

import java.util.List;
import java.util.Objects;

/**
 * One streaming chat call: the model and the conversation so far, ending with the new prompt.
 *
 * @param maxTokens upper bound on the reply's tokens, or 0 for the model's default
 */
public record ChatRequest(String model, List<ChatMessage> messages, int maxTokens) {
  public ChatRequest {
    Objects.requireNonNull(model, "model");
    messages = List.copyOf(messages);
    if (maxTokens < 0) {
      throw new IllegalArgumentException("maxTokens must be >= 0, was " + maxTokens);
    }
  }

  public ChatRequest(String model, List<ChatMessage> messages) {
    this(model, messages, 0);
  }
}
