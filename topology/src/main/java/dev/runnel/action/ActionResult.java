package dev.runnel.action;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.model.FinishReason;
import dev.runnel.model.TokenUsage;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a final. Only the text is part of every result, and even it may be left to Runnel:
 * {@link #ofPartials()} stands for the concatenation of the run's partial results. A result may
 * also carry a value of any type that Jackson writes as JSON ({@link #ofValue}, {@link
 * #withValue}): the session state records it as {@code lastResult}, as JSON text, next to the state
 * update. Token usage and a finish reason are for actions that call a model; an action that calls
 * none leaves them out (the end record then says {@code STOP} and carries no usage).
 */
public final class ActionResult {
  private final String text;
  private final JsonNode value;
  private final FinishReason finishReason;
  private final TokenUsage usage;

  private ActionResult(String text, JsonNode value, FinishReason finishReason, TokenUsage usage) {
    this.text = text;
    this.value = value;
    this.finishReason = finishReason;
    this.usage = usage;
  }

  /** A result whose text is the concatenation of the run's partial results. */
  public static ActionResult ofPartials() {
    return new ActionResult(null, null, null, null);
  }

  /** A result with the given full text. */
  public static ActionResult of(String text) {
    return new ActionResult(Objects.requireNonNull(text, "text"), null, null, null);
  }

  /** A result whose text is the run's partial results and whose value is {@code value}. */
  public static ActionResult ofValue(Object value) {
    return ofPartials().withValue(value);
  }

  /**
   * This result with a value: any object Jackson writes as JSON (a record, a map, a list, a number,
   * a {@link JsonNode}).
   *
   * @throws IllegalArgumentException when Jackson cannot write the value, naming its class
   */
  public ActionResult withValue(Object value) {
    Objects.requireNonNull(value, "value");
    JsonNode json;
    try {
      json =
          value instanceof JsonNode node
              ? node.deepCopy()
              : StateKey.JSON.readTree(StateKey.JSON.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "result value: cannot write " + value.getClass().getName() + " as JSON", e);
    }
    return new ActionResult(text, json, finishReason, usage);
  }

  /** This result with the tokens the run used. */
  public ActionResult withUsage(TokenUsage usage) {
    return new ActionResult(text, value, finishReason, Objects.requireNonNull(usage, "usage"));
  }

  /** This result with why the model stopped. */
  public ActionResult withFinishReason(FinishReason finishReason) {
    return new ActionResult(
        text, value, Objects.requireNonNull(finishReason, "finishReason"), usage);
  }

  /** The value, as JSON; empty when the result has none. */
  public Optional<JsonNode> value() {
    return Optional.ofNullable(value).map(JsonNode::deepCopy);
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
        + ", value="
        + (value == null ? "none" : value.getNodeType().name().toLowerCase(Locale.ROOT))
        + ", finishReason="
        + finishReason
        + ", usage="
        + usage
        + "]";
  }
}
