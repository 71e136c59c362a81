package dev.runnel.action;

/** Where a {@link BlockingAction} emits its partial results. */
@FunctionalInterface
public interface Partials {

  /**
   * Publishes a piece of text now. Empty text is ignored, and so is everything emitted after the
   * run was cancelled.
   */
  void emit(String text);
}
