package dev.runnel.action;

/**
 * The blocking form of a streaming action, the Java equivalent of a Burr generator: straight-line
 * code that emits partial results ({@code yield delta, None}) and returns the final ({@code yield
 * result, state}). It may use blocking clients, such as {@link
 * dev.runnel.model.ChatModel#stream(dev.runnel.model.ChatRequest)}.
 *
 * <p>{@link StreamingAction#blocking} hosts it: each run gets a virtual thread on a JVM that has
 * them (21 and later), otherwise a thread of a bounded pool (of {@link
 * StreamingAction#DEFAULT_BLOCKING_THREADS} threads unless given). Cancellation (a cancellation
 * record, a revoked task, shutdown) interrupts the run's thread; what it emits or returns
 * afterwards is ignored. The rules are those of {@link StreamingAction}: returning {@code null} is
 * a stream that ended without a final, and throwing fails the run ({@link RetriableFailure} or a
 * retriable {@link dev.runnel.model.ModelException} asks for a retry).
 */
public interface BlockingAction extends AutoCloseable {

  /** The action's name and the state fields it reads and writes. */
  ActionSpec spec();

  /**
   * Runs once, on a thread of its own.
   *
   * @param state the session's state, restricted to the declared reads
   * @param input the prompt and its request
   * @param partials where the run emits partial results
   * @return the final: the result and the state update
   */
  Final run(ActionState state, ActionInput input, Partials partials) throws Exception;

  /** Releases the action's resources; called once when the instance stops. */
  @Override
  default void close() {}
}
