package dev.runnel.bench.internal;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The repeated windows of one benchmark point.
 *
 * @param mode what ran: a delta lane, the blocking baseline, or two instances
 * @param concurrency sessions with a prompt in flight
 * @param idealRepliesPerSecond C / L
 * @param note what went wrong during the point, or empty
 */
public record PointResult(
    String mode,
    int concurrency,
    double idealRepliesPerSecond,
    List<WindowResult> windows,
    String note) {

  public PointResult(
      String mode, int concurrency, double idealRepliesPerSecond, List<WindowResult> windows) {
    this(mode, concurrency, idealRepliesPerSecond, windows, "");
  }

  public PointResult withNote(String newNote) {
    return new PointResult(mode, concurrency, idealRepliesPerSecond, windows, newNote);
  }

  public Spread spread(ToDoubleFunction<WindowResult> figure) {
    return Spread.of(windows.stream().map(w -> figure.applyAsDouble(w)).toList());
  }

  public Spread repliesPerSecond() {
    return spread(WindowResult::repliesPerSecond);
  }

  /** Replies per second as a fraction of the ideal C / L. */
  public Spread ofIdeal() {
    return spread(w -> w.repliesPerSecond() / idealRepliesPerSecond);
  }

  public long errors() {
    return windows.stream().mapToLong(WindowResult::errors).sum();
  }

  /** The largest value over all windows. */
  public double maxOf(ToDoubleFunction<WindowResult> figure) {
    return windows.stream().mapToDouble(figure).max().orElse(Double.NaN);
  }
}
