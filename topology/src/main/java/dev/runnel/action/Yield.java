package dev.runnel.action;

import java.util.Objects;

/**
 * One item a {@link FlowAction}'s publisher emits, as one {@code yield} of a Burr streaming action:
 * any number of {@link Partial}s, then one {@link Final}.
 */
public sealed interface Yield permits Yield.Partial, Final {

  /** A partial result. */
  static Yield partial(String text) {
    return new Partial(text);
  }

  /** A piece of text to publish now. */
  record Partial(String text) implements Yield {
    public Partial {
      Objects.requireNonNull(text, "text");
    }
  }
}
