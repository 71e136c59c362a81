package dev.runnel.action;

/** A started run of a {@link StreamingAction}. */
@FunctionalInterface
public interface RunningAction {

  /** Stops the run; later reports from it are ignored. Safe to call more than once. */
  void cancel();
}
