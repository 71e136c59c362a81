package dev.runnel.model;

import java.util.Objects;

/** How a streaming call ended: the full text, why it stopped, and the tokens it used. */
public record ChatCompletion(String text, FinishReason finishReason, TokenUsage usage) {
  public ChatCompletion {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(finishReason, "finishReason");
    Objects.requireNonNull(usage, "usage");
  }
}
