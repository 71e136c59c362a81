package dev.runnel.action;

import dev.runnel.model.ToolCallDelta;
import dev.runnel.tool.RemoteCall;
import java.util.List;

/**
 * Where a run reports, like the yields of a Burr streaming action. Calls after the terminal one
 * ({@link #last} or {@link #fail}) are ignored, and a run whose stream {@link #end ends} without a
 * {@code last} fails.
 */
public interface ActionOutput {

  /** A partial result: a piece of text to publish now. Empty text is ignored. */
  void partial(String delta);

  /**
   * A fragment of a tool call the model is writing, to publish now as its own chunk record (so a UI
   * can show "calling search(...)" while the model writes it). Fragments of one call share its
   * index; the first carries the call's id and name. Outputs that take no tool calls throw {@link
   * UnsupportedOperationException}; Runnel's own take them in both lanes.
   */
  default void toolCall(ToolCallDelta fragment) {
    throw new UnsupportedOperationException(
        getClass().getName() + " takes no tool-call fragments, got " + fragment);
  }

  /**
   * The last yield: the final result and the state update. The update may write only the fields the
   * action declared in {@link ActionSpec#writes()}; any other write fails the run.
   */
  void last(ActionResult result, StateUpdate update);

  /**
   * The last yield, with the remote tool calls the next step waits for ({@link
   * Final#withRemoteCalls}). Outputs that take no remote calls throw {@link
   * UnsupportedOperationException} for a final that has some; Runnel's own take them.
   */
  default void last(Final last) {
    List<RemoteCall> calls = last.remoteCalls();
    if (!calls.isEmpty()) {
      throw new UnsupportedOperationException(
          getClass().getName() + " takes no remote calls, got " + calls);
    }
    last(last.result(), last.update());
  }

  /** The run failed; a {@link dev.runnel.model.ModelException} says whether to retry. */
  void fail(Throwable error);

  /** The stream ended. Without an earlier {@link #last} or {@link #fail}, the run fails. */
  void end();
}
