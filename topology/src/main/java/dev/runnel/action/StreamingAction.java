package dev.runnel.action;

/**
 * A streaming action, as Apache Burr's {@code @streaming_action} defines it: it declares the state
 * it reads and writes, runs against an immutable state, emits partial results while it runs, and
 * ends with exactly one final (result plus state update) or one failure.
 *
 * <p>{@link #start} must return at once: the work runs on the action's own threads (typically a
 * model client's) and reports through the {@link ActionOutput}. Runnel calls {@code start} on a
 * Kafka Streams thread, which must never wait on a model.
 */
public interface StreamingAction {

  /** The action's name and the state fields it reads and writes. */
  ActionSpec spec();

  /**
   * Starts one run. Report partial results with {@link ActionOutput#partial}, then exactly one
   * {@link ActionOutput#last} or {@link ActionOutput#fail}, then {@link ActionOutput#end()}.
   *
   * @param state the session's state, restricted to the declared reads
   * @param input the prompt and its request
   * @param output where the run reports; safe to call from any thread, one call at a time
   * @return a handle that stops the run
   */
  RunningAction start(ActionState state, ActionInput input, ActionOutput output);
}
