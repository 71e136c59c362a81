package dev.runnel.model;

/**
 * Receives one streaming call's events, in order, from one thread at a time: deltas, then exactly
 * one {@link #onComplete} or {@link #onError}.
 */
public interface StreamListener {

  /** A piece of the reply's text, as it arrived (never empty). */
  default void onDelta(String text) {}

  /**
   * A fragment of a tool call the model is writing ({@link ToolCallDelta}); the merged calls come
   * with the completion.
   */
  default void onToolCall(ToolCallDelta delta) {}

  /** The call ended normally; {@code completion.text()} is the concatenation of all deltas. */
  void onComplete(ChatCompletion completion);

  /** The call failed; {@code error.retriable()} says whether trying again may help. */
  void onError(ModelException error);
}
