package dev.runnel.action;

import dev.runnel.model.ToolCallDelta;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A {@link BlockingAction} as a {@link StreamingAction}: each run is one task on the executor. */
final class BlockingAdapter implements StreamingAction {
  private final BlockingAction action;
  private final ExecutorService executor;
  private final AtomicBoolean closed = new AtomicBoolean();

  BlockingAdapter(BlockingAction action, ExecutorService executor) {
    this.action = action;
    this.executor = executor;
  }

  @Override
  public ActionSpec spec() {
    return action.spec();
  }

  @Override
  public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
    AtomicBoolean cancelled = new AtomicBoolean();
    Partials partials =
        new Partials() {
          @Override
          public void emit(String text) {
            if (!cancelled.get()) {
              output.partial(text);
            }
          }

          @Override
          public void toolCall(ToolCallDelta fragment) {
            if (!cancelled.get()) {
              output.toolCall(fragment);
            }
          }
        };
    Future<?> task =
        executor.submit(
            () -> {
              try {
                Final last = action.run(state, input, partials);
                if (cancelled.get()) {
                  return;
                }
                if (last != null) {
                  output.last(last);
                }
              } catch (Throwable e) {
                if (!cancelled.get()) {
                  output.fail(e);
                }
              } finally {
                if (!cancelled.get()) {
                  output.end();
                }
              }
            });
    return () -> {
      cancelled.set(true);
      task.cancel(true);
    };
  }

  /** Interrupts the runs still going, waits briefly for their threads, then closes the action. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      action.close();
    }
  }
}
