package dev.runnel.action;

import java.util.concurrent.Flow;

/**
 * The asynchronous form of a streaming action as a {@link Flow.Publisher} (the JDK's reactive
 * streams interface, which Reactor's {@code Flux} and Mutiny's {@code Multi} adapt to and from):
 * the publisher emits {@link Yield.Partial}s, then one {@link Final}, then completes. {@link
 * StreamingAction#fromPublisher} hosts it under the rules of {@link StreamingAction}: an error
 * fails the run, completing without a final fails it, and cancelling the run cancels the
 * subscription.
 */
public interface FlowAction extends AutoCloseable {

  /** The action's name and the state fields it reads and writes. */
  ActionSpec spec();

  /** The yields of one run; subscribed to once. */
  Flow.Publisher<Yield> run(ActionState state, ActionInput input);

  /** Releases the action's resources; called once when the instance stops. */
  @Override
  default void close() {}
}
