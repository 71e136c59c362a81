package dev.runnel.model.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer thread every model call shares: one daemon thread for all calls of all clients, so
 * thousands of open streams cost thousands of queue entries, not threads. Tasks must be short.
 */
final class Timers {
  private static final ScheduledThreadPoolExecutor EXECUTOR = create();

  private Timers() {}

  static ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return EXECUTOR.schedule(task, Math.max(1, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  private static ScheduledThreadPoolExecutor create() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "runnel-model-timer");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }
}
