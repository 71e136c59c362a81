package dev.runnel.action;

import dev.runnel.model.FinishReason;
import dev.runnel.model.TokenUsage;
import java.util.Objects;

/** The final result of a run: the full text, why it ended and the tokens it used. */
public record ActionResult(String text, FinishReason finishReason, TokenUsage usage) {
  public ActionResult {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(finishReason, "finishReason");
    Objects.requireNonNull(usage, "usage");
  }
}
