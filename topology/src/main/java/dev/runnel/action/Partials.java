package dev.runnel.action;

import dev.runnel.model.ToolCallDelta;

/** Where a {@link BlockingAction} emits its partial results. */
@FunctionalInterface
public interface Partials {

  /**
   * Publishes a piece of text now. Empty text is ignored, and so is everything emitted after the
   * run was cancelled.
   */
  void emit(String text);

  /**
   * Publishes a fragment of a tool call the model is writing (see {@link ActionOutput#toolCall});
   * ignored after the run was cancelled. Runnel's own partials take them; a lambda does not and
   * throws {@link UnsupportedOperationException}.
   */
  default void toolCall(ToolCallDelta fragment) {
    throw new UnsupportedOperationException(
        getClass().getName() + " takes no tool-call fragments, got " + fragment);
  }
}
