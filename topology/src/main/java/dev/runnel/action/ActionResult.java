package dev.runnel.action;

import dev.runnel.model.FinishReason;
import dev.runnel.model.TokenUsage;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a final. Only the text is part of every result, and even it may be left to Runnel:
 * {@link #ofPartials()} stands for the concatenation of the run's partial results. Token usage and
 * a finish reason are for actions that call a model; an action that calls none leaves them out (the
 * end record then says {@code STOP} and carries no usage).
 */
public final class ActionResult {
  private final String text;
  private final FinishReason finishReason;
  private final TokenUsage usage;

  private ActionResult(String text, FinishReason finishReason, TokenUsage usage) {
    this.text = text;
    this.finishReason = finishReason;
    this.usage = usage;
  }

  /** A result whose text is the concatenation of the run's partial results. */
  public static ActionResult ofPartials() {
    return new ActionResult(null, null, null);
  }

  /** A result with the given full text. */
  public static ActionResult of(String text) {
    return new ActionResult(Objects.requireNonNull(text, "text"), null, null);
  }

  /** This result with the tokens the run used. */
  public ActionResult withUsage(TokenUsage usage) {
    return new ActionResult(text, finishReason, Objects.requireNonNull(usage, "usage"));
  }

  /** This result with why the model stopped. */
  public ActionResult withFinishReason(FinishReason finishReason) {
    return new ActionResult(text, Objects.requireNonNull(finishReason, "finishReason"), usage);
  }

  /** The full text; empty when it is the concatenation of the partial results. */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  public Optional<FinishReason> finishReason() {
    return Optional.ofNullable(finishReason);
  }

  public Optional<TokenUsage> usage() {
    return Optional.ofNullable(usage);
  }

  @Override
  public String toString() {
    return "ActionResult[text="
        + (text == null ? "<partials>" : text.length() + " chars")
        + ", finishReason="
        + finishReason
        + ", usage="
        + usage
        + "]";
  }
}
