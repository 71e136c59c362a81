package dev.runnel.bench.internal;

/**
 * Heap after a full GC with no stream open and with {@code streams} open.
 *
 * @param streams streams the simulator had open while measuring
 * @param idleBytes heap used with no stream open
 * @param withRunnelBytes heap used with the streams open through Runnel
 * @param clientOnlyIdleBytes heap used before the same streams were opened by the bare model client
 * @param clientOnlyBytes heap used with the same number of streams opened by the bare model client
 *     (no Kafka, no Runnel), simulator included
 */
public record HeapResult(
    int streams,
    long idleBytes,
    long withRunnelBytes,
    long clientOnlyIdleBytes,
    long clientOnlyBytes) {

  /** Heap per open stream through Runnel, model client and simulator side included. */
  public double perStreamBytes() {
    return (double) (withRunnelBytes - idleBytes) / streams;
  }

  /** Heap per open stream of the bare model client and the simulator side. */
  public double clientOnlyPerStreamBytes() {
    return (double) (clientOnlyBytes - clientOnlyIdleBytes) / streams;
  }
}
