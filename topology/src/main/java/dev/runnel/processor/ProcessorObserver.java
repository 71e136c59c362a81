package dev.runnel.processor;

import dev.runnel.model.TokenUsage;
import java.time.Duration;

/**
 * Hears what the streaming-action processor does, for metrics. Every method has a no-op default.
 * {@link #firstToken} runs on a model client's thread, the others on a stream thread; all must be
 * cheap and thread-safe.
 */
public interface ProcessorObserver {
  /** Observes nothing. */
  ProcessorObserver NONE = new ProcessorObserver() {};

  /** A prompt was accepted into its session's queue. */
  default void accepted() {}

  /** A prompt repeated a request id that was queued or applied; it was answered, not run. */
  default void duplicate() {}

  /** A record went to the dead-letter topic for the given reason. */
  default void deadLettered(String reason) {}

  /** A model call started (attempt 1, or higher after a retry or restart). */
  default void callStarted(int attempt) {}

  /** A call ended, however it ended. */
  default void callEnded() {}

  /** The first delta of an attempt arrived, this long after the attempt started. */
  default void firstToken(Duration sinceStart) {}

  /** A request's final was applied. */
  default void completed(Duration duration, TokenUsage usage) {}

  /** A retriable failure will be retried. */
  default void retried(String errorKind) {}

  /** A request failed for good. */
  default void failed(String errorKind) {}

  /** A request was cancelled. */
  default void cancelled() {}
}
