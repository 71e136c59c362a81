package dev.runnel.processor.internal;

import dev.runnel.action.ActionResult;
import dev.runnel.action.StateUpdate;
import dev.runnel.schemas.Chunk;
import dev.runnel.tool.RemoteCall;
import java.util.List;

/** What a run reports to the stream thread, which alone touches stores and forwards. */
sealed interface RunEvent {
  RunKey run();

  /** A delta for the transactional lane. */
  record Delta(RunKey run, Chunk chunk) implements RunEvent {}

  /**
   * The last yield; {@code deltas} is how many deltas the attempt published, {@code textLength} the
   * result's length (the partials' when the result left its text to them), {@code remoteCalls} what
   * the next step waits for.
   */
  record Finished(
      RunKey run,
      ActionResult result,
      StateUpdate update,
      List<RemoteCall> remoteCalls,
      int deltas,
      int textLength)
      implements RunEvent {}

  /** The run failed; {@code deltas} is how many deltas the attempt published. */
  record Failed(RunKey run, Throwable error, int deltas) implements RunEvent {}
}
