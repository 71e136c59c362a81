package dev.runnel.hook;

/**
 * Hears what happens to requests and runs, as Apache Burr's lifecycle hooks do: before a run, on
 * each partial result, after a run ends, on each state applied, and on what becomes of each
 * arriving prompt. An instance has any number of hooks ({@code Runnel.builder(..).hook(..)}), and
 * Runnel's own metrics are one of them.
 *
 * <p>Every method has a no-op default. {@link #onPartial} runs on the action's thread (a model
 * client's, a blocking run's); the others run on a Kafka Streams thread. All must be cheap,
 * thread-safe and must not block. A hook that throws is logged and never breaks a run or the
 * instance.
 */
public interface RunHook {

  /** An attempt is about to start (attempt 1, or higher after a retry or a restart). */
  default void beforeRun(RunInfo run) {}

  /** The run emitted a partial result. */
  default void onPartial(RunInfo run, PartialInfo partial) {}

  /** The attempt ended; exactly once for each {@link #beforeRun}. */
  default void afterRun(RunInfo run, RunOutcome outcome) {}

  /**
   * A new session state was applied (and written to the sessions topic in the same transaction).
   */
  default void onStateApplied(StateApplied applied) {}

  /** A prompt or a cancellation arrived and was accepted, answered or dead-lettered. */
  default void onRequest(RequestEvent event) {}
}
