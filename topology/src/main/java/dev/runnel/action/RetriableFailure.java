package dev.runnel.action;

import java.time.Duration;
import java.util.Optional;

/**
 * Thrown by (or reported through {@link ActionOutput#fail}) an action whose run failed in a way
 * that trying again may fix. Runnel retries it as it retries a model's retriable errors: with
 * backoff, up to {@code runnel.retry.max.retries}, and not before {@link #retryAfter()} when set.
 */
public class RetriableFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Duration retryAfter;

  public RetriableFailure(String message) {
    this(message, null, null);
  }

  /**
   * @param retryAfter the least wait before the retry, or null for the configured backoff
   * @param cause what went wrong, or null
   */
  public RetriableFailure(String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative: " + retryAfter);
    }
    this.retryAfter = retryAfter;
  }

  /** The least wait before the retry, if the action asked for one. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
