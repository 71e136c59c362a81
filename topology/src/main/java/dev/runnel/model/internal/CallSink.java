package dev.runnel.model.internal;

import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.TokenUsage;

/**
 * What a {@link SseProtocol} reports to its call. Calls after the first complete/fail are no-ops.
 */
public interface CallSink {

  /** A piece of text; empty pieces are dropped. */
  void delta(String text);

  /**
   * A fragment of the tool call at {@code index} (0 for the reply's first tool call): its id and
   * name on the first fragment (null after), and the next piece of its arguments' JSON text.
   */
  void toolCall(int index, String id, String name, String arguments);

  /** The reply is whole. */
  void complete(FinishReason finishReason, TokenUsage usage);

  /** The call failed. */
  void fail(ModelException error);

  /** How many deltas arrived so far (for error messages). */
  int deltaCount();
}
