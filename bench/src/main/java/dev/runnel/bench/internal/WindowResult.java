package dev.runnel.bench.internal;

/**
 * What one measurement window saw.
 *
 * @param seconds the window's length
 * @param replies end records without an error that arrived in the window
 * @param deltas delta records that arrived in the window
 * @param errors end records with an error
 * @param unmatched deltas whose send time was unknown (not counted in the latencies)
 * @param firstToken added latency of each reply's first delta, nanoseconds
 * @param perToken added latency of every delta, nanoseconds
 * @param cpu CPU used in the window
 */
public record WindowResult(
    double seconds,
    long replies,
    long deltas,
    long errors,
    long unmatched,
    Samples.Summary firstToken,
    Samples.Summary perToken,
    CpuMeter.Usage cpu) {

  public double repliesPerSecond() {
    return replies / seconds;
  }

  public double deltasPerSecond() {
    return deltas / seconds;
  }

  /** CPU cores the whole process used on average. */
  public double processCores() {
    return cpu.process() / 1e9 / seconds;
  }

  /** CPU milliseconds Runnel's threads used per reply. */
  public double runnelCpuMsPerReply() {
    return replies == 0 ? Double.NaN : cpu.group(CpuMeter.RUNNEL) / 1e6 / replies;
  }

  /** CPU cores a group of threads used on average. */
  public double cores(String group) {
    return cpu.group(group) / 1e9 / seconds;
  }
}
