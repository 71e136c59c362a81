package dev.runnel.processor.internal;

import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.Final;
import dev.runnel.action.StateUpdate;
import dev.runnel.hook.PartialInfo;
import dev.runnel.hook.RunHook;
import dev.runnel.hook.RunInfo;
import dev.runnel.model.ToolCallDelta;
import dev.runnel.processor.DeltaPublisher;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ToolCallFragment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@link ActionOutput} of one attempt. It numbers delta records, publishes them in the
 * immediate lane or hands them to the stream thread in the transactional one, enforces the contract
 * (one terminal yield, declared writes only, no stream without a final), and hands the terminal
 * event to the stream thread only once every immediate-lane record is acknowledged, so the end
 * record always follows the attempt's deltas on the topic.
 *
 * <p>In the immediate lane, a delta that arrives while one of the attempt's records is not yet
 * acknowledged is merged with the deltas after it into one record, sent when the acknowledgement
 * arrives (or once the merged text reaches {@code coalesceMaxChars}); with nothing in flight a
 * delta goes out at once. So an idle call pays no delay, and a call that streams faster than the
 * broker acknowledges sends about one record per round trip instead of one per delta. Tool-call
 * fragments wait and merge the same way, each call's fragments into a record of their own, in the
 * order they came among the text. Sequence numbers count records, so they stay contiguous from 0
 * and the end record's sequence is the number of delta records written.
 */
final class RunOutput implements ActionOutput {
  private final RunKey key;
  private final Set<String> declaredWrites;
  private final Optional<DeltaPublisher> publisher;
  private final int coalesceMaxChars;
  private final Consumer<RunEvent> toStreamThread;
  private final RunInfo info;
  private final RunHook hook;
  private final long startedNanos;
  private int partials;
  private Duration firstAfter;

  private int sequence;
  private int partialChars;
  private int unacknowledged;
  // What waits for the acknowledgement of the records in flight, in order.
  private final List<Waiting> waiting = new ArrayList<>();
  private int waitingChars;
  private RunEvent terminal;
  private boolean delivered;
  private boolean closed;

  RunOutput(
      RunKey key,
      Set<String> declaredWrites,
      Optional<DeltaPublisher> publisher,
      int coalesceMaxChars,
      Consumer<RunEvent> toStreamThread,
      RunInfo info,
      RunHook hook) {
    this.key = key;
    this.declaredWrites = Set.copyOf(declaredWrites);
    this.publisher = publisher;
    this.coalesceMaxChars = coalesceMaxChars;
    this.toStreamThread = toStreamThread;
    this.info = info;
    this.hook = hook;
    this.startedNanos = System.nanoTime();
  }

  @Override
  public synchronized void partial(String delta) {
    if (closed || terminal != null || delta == null || delta.isEmpty()) {
      return;
    }
    partialChars += delta.length();
    Duration sinceStart = Duration.ofNanos(System.nanoTime() - startedNanos);
    if (firstAfter == null) {
      firstAfter = sinceStart;
    }
    hook.onPartial(info, new PartialInfo(partials++, delta.length(), sinceStart, firstAfter));
    if (publisher.isEmpty()) {
      toStreamThread.accept(new RunEvent.Delta(key, Chunks.delta(key, sequence++, delta)));
      return;
    }
    Waiting last = waiting.isEmpty() ? null : waiting.get(waiting.size() - 1);
    if (last == null || last.toolCall != null) {
      last = new Waiting(null);
      waiting.add(last);
    }
    hold(last, delta);
  }

  @Override
  public synchronized void toolCall(ToolCallDelta fragment) {
    Objects.requireNonNull(fragment, "fragment");
    if (closed || terminal != null || (fragment.id() == null && fragment.arguments().isEmpty())) {
      return; // a fragment that names no call and adds nothing is no record
    }
    ToolCallFragment record =
        new ToolCallFragment(fragment.index(), fragment.id(), fragment.name(), "");
    if (publisher.isEmpty()) {
      record.setArguments(fragment.arguments());
      toStreamThread.accept(new RunEvent.Delta(key, Chunks.toolCall(key, sequence++, record)));
      return;
    }
    Waiting last = waiting.isEmpty() ? null : waiting.get(waiting.size() - 1);
    if (last == null
        || last.toolCall == null
        || last.toolCall.getIndex() != fragment.index()
        || fragment.id() != null) {
      last = new Waiting(record);
      waiting.add(last);
    }
    hold(last, fragment.arguments());
  }

  /** Adds text to a waiting record, and sends what waits when nothing is in flight. */
  private void hold(Waiting record, String text) {
    record.text.append(text);
    waitingChars += text.length();
    if (unacknowledged == 0 || waitingChars >= coalesceMaxChars) {
      publishWaiting();
    }
  }

  /** Sends what waits, a record each; they may be acknowledged before this returns. */
  private void publishWaiting() {
    List<Waiting> records = List.copyOf(waiting);
    waiting.clear();
    waitingChars = 0;
    // Counted before any is sent: an acknowledgement that arrives at once must not find nothing
    // in flight while later records of this batch are still unsent.
    unacknowledged += records.size();
    for (Waiting record : records) {
      Chunk chunk;
      if (record.toolCall == null) {
        chunk = Chunks.delta(key, sequence++, record.text.toString());
      } else {
        record.toolCall.setArguments(record.text.toString());
        chunk = Chunks.toolCall(key, sequence++, record.toolCall);
      }
      publisher.orElseThrow().send(chunk).whenComplete((ok, error) -> acknowledged(error));
    }
  }

  /** A record not yet sent: merged text, or a tool call's merged fragments. */
  private static final class Waiting {
    final ToolCallFragment toolCall;
    final StringBuilder text = new StringBuilder();

    Waiting(ToolCallFragment toolCall) {
      this.toolCall = toolCall;
    }
  }

  /**
   * Sends what waits before a terminal event is taken, so the end record counts it; false when that
   * send failed at once and the attempt has already failed.
   */
  private boolean flushBeforeTerminal() {
    publishWaiting();
    return !delivered;
  }

  @Override
  public void last(ActionResult result, StateUpdate update) {
    last(new Final(result, update));
  }

  @Override
  public synchronized void last(Final last) {
    if (closed || terminal != null) {
      return;
    }
    Objects.requireNonNull(last, "last");
    if (!flushBeforeTerminal()) {
      return;
    }
    Set<String> undeclared = new LinkedHashSet<>(last.update().writes());
    undeclared.removeAll(declaredWrites);
    terminal =
        undeclared.isEmpty()
            ? new RunEvent.Finished(
                key,
                last.result(),
                last.update(),
                last.remoteCalls(),
                sequence,
                last.result().text().map(String::length).orElse(partialChars))
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
    Objects.requireNonNull(error, "error");
    if (!flushBeforeTerminal()) {
      return;
    }
    terminal = new RunEvent.Failed(key, error, sequence);
    deliverWhenAcknowledged();
  }

  @Override
  public synchronized void end() {
    if (closed || terminal != null || !flushBeforeTerminal()) {
      return;
    }
    terminal =
        new RunEvent.Failed(
            key, new ContractViolation("the stream ended without a final"), sequence);
    deliverWhenAcknowledged();
  }

  /**
   * Ignores everything the run reports from now on. What waits is sent first, as it would have been
   * without coalescing, so {@link #deltas()} counts every delta the run reported.
   */
  synchronized void close() {
    boolean flush = !closed && !delivered && publisher.isPresent();
    closed = true;
    if (flush) {
      publishWaiting();
    }
  }

  /** How many delta records this attempt has numbered so far. */
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
      waiting.clear();
      waitingChars = 0;
      toStreamThread.accept(terminal);
      return;
    }
    if (unacknowledged == 0 && !delivered && !closed) {
      publishWaiting();
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
