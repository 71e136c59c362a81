package dev.runnel.simulator;

/**
 * Hears each token the simulator sends, with the time it went to the socket. For benchmarks in the
 * same JVM: they compare it with when the token reached a consumer, on the same clock.
 */
@FunctionalInterface
public interface TokenObserver {
  /** Observes nothing. */
  TokenObserver NONE = (prompt, index, sentNanos) -> {};

  /**
   * Token {@code index} (from 0) of the reply to {@code prompt} (the request's last user message)
   * was flushed at {@code sentNanos} ({@link System#nanoTime()}). Runs on a server event loop: keep
   * it cheap and never block.
   */
  void tokenSent(String prompt, int index, long sentNanos);
}
