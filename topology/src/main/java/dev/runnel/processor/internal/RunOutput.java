package dev.runnel.processor.internal;

import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.StateUpdate;
import dev.runnel.processor.DeltaPublisher;
import dev.runnel.processor.ProcessorObserver;
import dev.runnel.schemas.Chunk;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@link ActionOutput} of one attempt. It numbers deltas, publishes them in the immediate lane
 * or hands them to the stream thread in the transactional one, enforces the contract (one terminal
 * yield, declared writes only, no stream without a final), and hands the terminal event to the
 * stream thread only once every immediate-lane delta is acknowledged, so the end record always
 * follows the attempt's deltas on the topic.
 */
final class RunOutput implements ActionOutput {
  private final RunKey key;
  private final Set<String> declaredWrites;
  private final Optional<DeltaPublisher> publisher;
  private final Consumer<RunEvent> toStreamThread;
  private final ProcessorObserver observer;
  private final long startedNanos;

  private int sequence;
  private int unacknowledged;
  private RunEvent terminal;
  private boolean delivered;
  private boolean closed;

  RunOutput(
      RunKey key,
      Set<String> declaredWrites,
      Optional<DeltaPublisher> publisher,
      Consumer<RunEvent> toStreamThread,
      ProcessorObserver observer) {
    this.key = key;
    this.declaredWrites = Set.copyOf(declaredWrites);
    this.publisher = publisher;
    this.toStreamThread = toStreamThread;
    this.observer = observer;
    this.startedNanos = System.nanoTime();
  }

  @Override
  public synchronized void partial(String delta) {
    if (closed || terminal != null || delta == null || delta.isEmpty()) {
      return;
    }
    if (sequence == 0) {
      observer.firstToken(Duration.ofNanos(System.nanoTime() - startedNanos));
    }
    Chunk chunk = Chunks.delta(key, sequence++, delta);
    if (publisher.isEmpty()) {
      toStreamThread.accept(new RunEvent.Delta(key, chunk));
      return;
    }
    unacknowledged++;
    publisher.get().send(chunk).whenComplete((ok, error) -> acknowledged(error));
  }

  @Override
  public synchronized void last(ActionResult result, StateUpdate update) {
    if (closed || terminal != null) {
      return;
    }
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(update, "update");
    Set<String> undeclared = new LinkedHashSet<>(update.writes());
    undeclared.removeAll(declaredWrites);
    terminal =
        undeclared.isEmpty()
            ? new RunEvent.Finished(key, result, update, sequence)
            : new RunEvent.Failed(
                key,
                new ContractViolation(
                    "the final writes "
                        + undeclared
                        + " outside the declared writes "
                        + declaredWrites),
                sequence);
    deliverWhenAcknowledged();
  }

  @Override
  public synchronized void fail(Throwable error) {
    if (closed || terminal != null) {
      return;
    }
    terminal = new RunEvent.Failed(key, Objects.requireNonNull(error, "error"), sequence);
    deliverWhenAcknowledged();
  }

  @Override
  public synchronized void end() {
    if (closed || terminal != null) {
      return;
    }
    terminal =
        new RunEvent.Failed(
            key, new ContractViolation("the stream ended without a final"), sequence);
    deliverWhenAcknowledged();
  }

  /** Ignores everything the run reports from now on. */
  synchronized void close() {
    closed = true;
  }

  /** How many deltas this attempt has numbered so far. */
  synchronized int deltas() {
    return sequence;
  }

  private synchronized void acknowledged(Throwable error) {
    unacknowledged--;
    if (error != null && !delivered && !closed) {
      // A lost delta leaves text no consumer can rebuild, so the attempt fails even if its final
      // is here. It fails at once: the lane that lost one delta may hold the others for up to its
      // producer's max.block.ms, and whatever lands later belongs to an attempt that already has
      // its error end record (and, if retried, a higher attempt after it).
      if (!(terminal instanceof RunEvent.Failed)) {
        terminal = new RunEvent.Failed(key, new DeltaNotWritten(error), sequence);
      }
      delivered = true;
      toStreamThread.accept(terminal);
      return;
    }
    deliverWhenAcknowledged();
  }

  private void deliverWhenAcknowledged() {
    if (terminal != null && unacknowledged == 0 && !delivered && !closed) {
      delivered = true;
      toStreamThread.accept(terminal);
    }
  }
}
