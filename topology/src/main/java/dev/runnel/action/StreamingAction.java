package dev.runnel.action;

import dev.runnel.config.RunnelConfig;
import java.util.Map;

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

  /**
   * Hosts a blocking-form action with the default {@code runnel.action.blocking.threads}.
   *
   * @see #blocking(BlockingAction, RunnelConfig)
   */
  static StreamingAction blocking(BlockingAction action) {
    return blocking(action, new RunnelConfig(Map.of()));
  }

  /**
   * Hosts a blocking-form action: each run on a virtual thread where the JVM has them (21 and
   * later), otherwise on a pool of {@code runnel.action.blocking.threads} threads. Closing the
   * returned action interrupts the runs still going, stops the threads and closes {@code action}.
   */
  static StreamingAction blocking(BlockingAction action, RunnelConfig config) {
    return new BlockingAdapter(
        action,
        BlockingExecutors.create(config.getInt(RunnelConfig.ACTION_BLOCKING_THREADS_CONFIG)));
  }

  /** Hosts a publisher-form action; closing the returned action closes {@code action}. */
  static StreamingAction fromPublisher(FlowAction action) {
    return new PublisherAdapter(action);
  }
}
