package dev.runnel.processor.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bound on model calls open at once in one instance, shared by every task and stream thread of
 * it. Non-blocking: a task that finds no free slot leaves its sessions waiting and tries again at
 * its next punctuation.
 */
public final class CallSlots {
  private final int limit;
  private final AtomicInteger inUse = new AtomicInteger();

  public CallSlots(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("call limit must be >= 1, was " + limit);
    }
    this.limit = limit;
  }

  boolean tryAcquire() {
    while (true) {
      int now = inUse.get();
      if (now >= limit) {
        return false;
      }
      if (inUse.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void release() {
    inUse.decrementAndGet();
  }

  /** Calls open now. */
  public int inUse() {
    return inUse.get();
  }
}
