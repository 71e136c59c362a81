package dev.runnel.action;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads blocking-form runs get: virtual where the JVM has them, a bounded pool otherwise. */
final class BlockingExecutors {
  private BlockingExecutors() {}

  /**
   * A virtual thread per task on JDK 21 and later (reached reflectively: Runnel compiles for 17),
   * otherwise a pool of {@code poolThreads} daemon threads, idle ones ending after a minute.
   */
  static ExecutorService create(int poolThreads) {
    ExecutorService virtual = virtualThreadPerTask();
    return virtual != null ? virtual : pool(poolThreads);
  }

  static ExecutorService virtualThreadPerTask() {
    try {
      Method factory =
          java.util.concurrent.Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
      return (ExecutorService) factory.invoke(null);
    } catch (NoSuchMethodException e) {
      return null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot create the virtual-thread executor", e);
    }
  }

  static ExecutorService pool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("a blocking pool needs at least 1 thread: " + threads);
    }
    AtomicInteger count = new AtomicInteger();
    ThreadFactory factory =
        runnable -> {
          Thread thread = new Thread(runnable, "runnel-blocking-action-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        };
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads, threads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), factory);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
