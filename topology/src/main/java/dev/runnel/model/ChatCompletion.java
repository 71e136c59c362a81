package dev.runnel.model;

import java.util.List;
import java.util.Objects;

/**
 * How a streaming call ended: the full text, why it stopped, the tokens it used, and the tool calls
 * the model asked for (with {@link FinishReason#TOOL_CALLS}), in their order.
 */
public record ChatCompletion(
    String text, FinishReason finishReason, TokenUsage usage, List<ToolCall> toolCalls) {
  public ChatCompletion {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(finishReason, "finishReason");
    Objects.requireNonNull(usage, "usage");
    toolCalls = List.copyOf(toolCalls);
  }

  /** A completion without tool calls. */
  public ChatCompletion(String text, FinishReason finishReason, TokenUsage usage) {
    this(text, finishReason, usage, List.of());
  }
}
