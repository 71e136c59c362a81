package dev.runnel.action;

import dev.runnel.model.ToolCallDelta;
import java.util.Objects;

/**
 * One item a {@link FlowAction}'s publisher emits, as one {@code yield} of a Burr streaming action:
 * any number of {@link Partial}s (and {@link ToolCallPartial}s), then one {@link Final}.
 */
public sealed interface Yield permits Yield.Partial, Yield.ToolCallPartial, Final {

  /** A partial result. */
  static Yield partial(String text) {
    return new Partial(text);
  }

  /** A fragment of a tool call the model is writing (see {@link ActionOutput#toolCall}). */
  static Yield toolCall(ToolCallDelta fragment) {
    return new ToolCallPartial(fragment);
  }

  /** A tool-call fragment to publish now. */
  record ToolCallPartial(ToolCallDelta fragment) implements Yield {
    public ToolCallPartial {
      Objects.requireNonNull(fragment, "fragment");
    }
  }

  /** A piece of text to publish now. */
  record Partial(String text) implements Yield {
    public Partial {
      Objects.requireNonNull(text, "text");
    }
  }
}
