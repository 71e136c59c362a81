package dev.runnel.action;

/**
 * A streaming action, as Apache Burr's {@code @streaming_action} defines it: it declares the state
 * it reads and writes, runs against an immutable state, emits partial results while it runs, and
 * ends with exactly one final (result plus state update) or one failure.
 *
 * <p>This is the callback form, and the one type Runnel hosts: the blocking form ({@link
 * BlockingAction}) and the publisher form ({@link FlowAction}) become one through {@link #blocking}
 * and {@link #fromPublisher}, and every form is held to the same rules by the same code: the final
 * writes only declared fields, the first terminal report counts and later ones are ignored, and a
 * stream that ends without a final fails.
 *
 * <p>{@link #start} must return at once: the work runs on the action's own threads (typically a
 * model client's) and reports through the {@link ActionOutput}. Runnel calls {@code start} on a
 * Kafka Streams thread, which must never wait on a model.
 */
public interface StreamingAction extends AutoCloseable {

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

  /**
   * Releases the action's resources (its threads, its clients); called once when the instance
   * stops, after its last run was cancelled.
   */
  @Override
  default void close() {}

  /** The pool size {@link #blocking(BlockingAction)} uses on a JVM without virtual threads. */
  int DEFAULT_BLOCKING_THREADS = 256;

  /**
   * Hosts a blocking-form action on a pool of {@link #DEFAULT_BLOCKING_THREADS} threads where the
   * JVM has no virtual threads.
   *
   * @see #blocking(BlockingAction, int)
   */
  static StreamingAction blocking(BlockingAction action) {
    return blocking(action, DEFAULT_BLOCKING_THREADS);
  }

  /**
   * Hosts a blocking-form action: each run on a virtual thread where the JVM has them (21 and
   * later), otherwise on a pool of {@code poolThreads} threads, so that at most that many blocking
   * runs make progress at once and the others wait for a thread. Closing the returned action
   * interrupts the runs still going, stops the threads and closes {@code action}.
   *
   * @param poolThreads the pool's size on a JVM without virtual threads (before 21); unused on 21
   *     and later
   */
  static StreamingAction blocking(BlockingAction action, int poolThreads) {
    if (poolThreads < 1) {
      throw new IllegalArgumentException("poolThreads must be at least 1, was " + poolThreads);
    }
    return new BlockingAdapter(action, BlockingExecutors.create(poolThreads));
  }

  /** Hosts a publisher-form action; closing the returned action closes {@code action}. */
  static StreamingAction fromPublisher(FlowAction action) {
    return new PublisherAdapter(action);
  }
}
