package dev.runnel.hook;

import dev.runnel.model.TokenUsage;
import java.time.Duration;
import java.util.Optional;

/** How an attempt ended. */
public sealed interface RunOutcome {

  /** The final was applied. */
  record Completed(Duration duration, Optional<TokenUsage> usage) implements RunOutcome {}

  /**
   * The attempt failed.
   *
   * @param kind the error kind, as the end record's {@code error.kind} gives it
   * @param message what went wrong (credentials in URLs are masked)
   * @param willRetry true when another attempt follows after a backoff
   */
  record Failed(String kind, String message, boolean willRetry) implements RunOutcome {}

  /** A cancellation stopped it. */
  record Cancelled() implements RunOutcome {}

  /**
   * The instance stopped running it (shutdown, or its task moved to another instance); the request
   * is not finished and its next owner starts it again.
   */
  record Interrupted() implements RunOutcome {}
}
