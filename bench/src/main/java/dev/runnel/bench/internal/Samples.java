package dev.runnel.bench.internal;

import java.util.Arrays;

/**
 * A growable array of latency samples in nanoseconds, with nearest-rank percentiles. Thread-safe:
 * the consumer thread adds while the reporter reads at the end of a run.
 */
public final class Samples {
  private long[] values = new long[1024];
  private int size;

  public synchronized void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  public synchronized int size() {
    return size;
  }

  /** The summary of what was added; all zeros when nothing was. */
  public synchronized Summary summary() {
    if (size == 0) {
      return new Summary(0, 0, 0, 0);
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    return new Summary(size, percentile(sorted, 50), percentile(sorted, 99), sorted[size - 1]);
  }

  /**
   * Nearest-rank percentile of sorted values: the smallest value with at least {@code p} percent of
   * the values at or below it.
   */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    if (p <= 0 || p > 100) {
      throw new IllegalArgumentException("percentile must be in (0, 100], was " + p);
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }

  /**
   * Count, p50, p99 and max of a sample, in nanoseconds.
   *
   * @param count how many values
   */
  public record Summary(int count, long p50, long p99, long max) {}
}
