package dev.runnel.examples;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Callback form, and no model: types the prompt back one character at a time at a steady pace, on a
 * scheduler of its own, and counts in the session's state how many characters it has typed so far.
 * {@link #start} returns at once; each keystroke is a task on the action's one thread, so a
 * thousand runs at once cost no more threads. Cancelling a run stops its keystrokes; {@link
 * #close()} stops the thread.
 */
public final class Typewriter implements StreamingAction {
  /** Characters typed in the session so far, over every prompt. */
  public static final StateKey<Integer> TYPED_CHARS = StateKey.of("typed_chars", Integer.class);

  private final Duration pace;
  private final ScheduledExecutorService keys =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "typewriter"));

  /**
   * @param pace the time between two keystrokes
   */
  public Typewriter(Duration pace) {
    if (pace.isNegative() || pace.isZero()) {
      throw new IllegalArgumentException("pace must be positive, was " + pace);
    }
    this.pace = pace;
  }

  @Override
  public ActionSpec spec() {
    return new ActionSpec("typewriter", Set.of(TYPED_CHARS.name()), Set.of(TYPED_CHARS.name()));
  }

  @Override
  public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
    Run run = new Run(input.prompt(), state.get(TYPED_CHARS).orElse(0), output);
    run.next = keys.schedule(run::strike, pace.toNanos(), TimeUnit.NANOSECONDS);
    return run;
  }

  @Override
  public void close() {
    keys.shutdownNow();
  }

  /** One prompt being typed: each keystroke schedules the next. */
  private final class Run implements RunningAction {
    private final int[] characters;
    private final int typedBefore;
    private final ActionOutput output;
    private int typed;
    private volatile boolean cancelled;
    private volatile Future<?> next;

    Run(String text, int typedBefore, ActionOutput output) {
      this.characters = text.codePoints().toArray();
      this.typedBefore = typedBefore;
      this.output = Objects.requireNonNull(output, "output");
    }

    private void strike() {
      if (cancelled) {
        return;
      }
      output.partial(new String(characters, typed++, 1));
      if (typed < characters.length) {
        next = keys.schedule(this::strike, pace.toNanos(), TimeUnit.NANOSECONDS);
        return;
      }
      output.last(
          ActionResult.ofPartials(),
          StateUpdate.builder().set(TYPED_CHARS, typedBefore + characters.length).build());
      output.end();
    }

    @Override
    public void cancel() {
      cancelled = true;
      Future<?> pending = next;
      if (pending != null) {
        pending.cancel(false);
      }
    }
  }
}
