package dev.runnel.processor.internal;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with equal jitter: the n-th retry waits between half and all of {@code
 * initial * 2^(n-1)}, capped at {@code max}. A server's Retry-After wins when it is longer, but is
 * capped at {@code max} too: a server asking for a day must not block a session's queue for a day.
 */
final class Backoff {
  private final long initialMs;
  private final long maxMs;

  Backoff(Duration initial, Duration max) {
    this.initialMs = initial.toMillis();
    this.maxMs = max.toMillis();
  }

  long delayMs(int retry, Optional<Duration> retryAfter) {
    long exponential = initialMs << Math.min(retry - 1, 30);
    long capped = Math.min(maxMs, exponential < 0 ? maxMs : exponential);
    long half = capped / 2;
    long jittered = half + (half > 0 ? ThreadLocalRandom.current().nextLong(half + 1) : 0);
    return Math.max(jittered, retryAfter.map(this::cappedMs).orElse(0L));
  }

  /** The wait in milliseconds, at most {@code max}; compared as durations so no value overflows. */
  private long cappedMs(Duration wait) {
    if (wait.isNegative()) {
      return 0;
    }
    return wait.compareTo(Duration.ofMillis(maxMs)) >= 0 ? maxMs : wait.toMillis();
  }
}
