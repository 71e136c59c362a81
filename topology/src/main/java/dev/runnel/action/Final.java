package dev.runnel.action;

import java.util.Objects;

/** The last yield of a run: its result and its state update. */
public record Final(ActionResult result, StateUpdate update) implements Yield {
  public Final {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(update, "update");
  }

  /** A final whose text is the concatenation of the partial results. */
  public static Final of(StateUpdate update) {
    return new Final(ActionResult.ofPartials(), update);
  }
}
