package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.FlowAction;
import dev.runnel.action.Partials;
import dev.runnel.action.RetriableFailure;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.action.Yield;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.internal.PendingRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same rule cases, written once as a script of yields, run in each form of the contract: the
 * callbacks, the blocking form and a {@link Flow.Publisher}. Each case asserts what a user sees on
 * the chunks, sessions and dead-letters topics.
 */
@Timeout(60)
class ActionFormsTest {
  private static final ActionSpec SPEC = new ActionSpec("scripted", Set.of(), Set.of("note"));

  @TempDir Path stateDir;

  /** One step of a script. */
  sealed interface Step {}

  record Partial(String text) implements Step {}

  record Last(Final last) implements Step {}

  record Fail(RuntimeException error) implements Step {}

  /** The stream ends (without a final, unless one came before). */
  record End() implements Step {}

  /** The three forms, each turning a script (by attempt) into the one type Runnel hosts. */
  enum Form {
    CALLBACKS {
      @Override
      StreamingAction of(IntFunction<List<Step>> script) {
        return new StreamingAction() {
          @Override
          public ActionSpec spec() {
            return SPEC;
          }

          @Override
          public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
            // Reports from another thread, as a model client's callbacks arrive.
            Thread thread =
                new Thread(
                    () -> {
                      for (Step step : script.apply(input.attempt())) {
                        if (step instanceof Partial p) {
                          output.partial(p.text());
                        } else if (step instanceof Last l) {
                          output.last(l.last().result(), l.last().update());
                        } else if (step instanceof Fail f) {
                          output.fail(f.error());
                        } else {
                          output.end();
                        }
                      }
                    });
            thread.start();
            return thread::interrupt;
          }
        };
      }
    },
    BLOCKING {
      @Override
      StreamingAction of(IntFunction<List<Step>> script) {
        return StreamingAction.blocking(
            new BlockingAction() {
              @Override
              public ActionSpec spec() {
                return SPEC;
              }

              @Override
              public Final run(ActionState state, ActionInput input, Partials partials) {
                // Straight-line code: the first final returns, a failure throws, an end without
                // a final returns nothing; what a script has after that cannot happen here.
                for (Step step : script.apply(input.attempt())) {
                  if (step instanceof Partial p) {
                    partials.emit(p.text());
                  } else if (step instanceof Last l) {
                    return l.last();
                  } else if (step instanceof Fail f) {
                    throw f.error();
                  } else {
                    return null;
                  }
                }
                return null;
              }
            });
      }
    },
    PUBLISHER {
      @Override
      StreamingAction of(IntFunction<List<Step>> script) {
        return StreamingAction.fromPublisher(
            new FlowAction() {
              @Override
              public ActionSpec spec() {
                return SPEC;
              }

              @Override
              public Flow.Publisher<Yield> run(ActionState state, ActionInput input) {
                return new ScriptPublisher(script.apply(input.attempt()));
              }
            });
      }
    };

    abstract StreamingAction of(IntFunction<List<Step>> script);
  }

  /**
   * A hand-written publisher that emits a script from its own thread once demand arrives: partials
   * and finals as items, a failure as onError, the end as onComplete.
   */
  static final class ScriptPublisher implements Flow.Publisher<Yield> {
    private final List<Step> steps;

    ScriptPublisher(List<Step> steps) {
      this.steps = steps;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Yield> subscriber) {
      AtomicBoolean cancelled = new AtomicBoolean();
      Object demand = new Object();
      long[] requested = {0};
      subscriber.onSubscribe(
          new Flow.Subscription() {
            @Override
            public void request(long n) {
              synchronized (demand) {
                requested[0] = requested[0] + n < 0 ? Long.MAX_VALUE : requested[0] + n;
                demand.notifyAll();
              }
            }

            @Override
            public void cancel() {
              cancelled.set(true);
            }
          });
      new Thread(
              () -> {
                for (Step step : steps) {
                  if (cancelled.get()) {
                    return;
                  }
                  if (step instanceof Fail f) {
                    subscriber.onError(f.error());
                    return;
                  }
                  if (step instanceof End) {
                    subscriber.onComplete();
                    return;
                  }
                  synchronized (demand) {
                    while (requested[0] == 0) {
                      try {
                        demand.wait();
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                    requested[0]--;
                  }
                  subscriber.onNext(
                      step instanceof Partial p ? Yield.partial(p.text()) : ((Last) step).last());
                }
              })
          .start();
    }
  }

  private static Final note(String text, String note) {
    return new Final(ActionResult.of(text), StateUpdate.builder().put("note", note).build());
  }

  private Harness harness(StreamingAction action) {
    return new Harness(stateDir, action, Map.of(), new RecordingDeltaPublisher());
  }

  /** Pumps until the request has its end record. */
  private static Chunk awaitEnd(Harness h) {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              h.pump();
              assertThat(h.endChunks()).isNotEmpty();
            });
    return h.endChunks().get(0);
  }

  @ParameterizedTest
  @EnumSource(Form.class)
  void partialsThenAFinalWhoseTextIsThePartials(Form form) {
    StreamingAction action =
        form.of(
            attempt ->
                List.of(
                    new Partial("draft, "),
                    new Partial("refined"),
                    new Last(Final.of(StateUpdate.builder().put("note", "done").build())),
                    new End()));
    try (Harness h = harness(action)) {
      h.send("s", "r1", "go");
      Chunk end = awaitEnd(h);

      assertThat(h.rebuiltText("r1")).isEqualTo("draft, refined");
      assertThat(end.getTextLength()).isEqualTo("draft, refined".length());
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.STOP);
      assertThat(end.getUsage()).isNull();
      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(state.getFields()).containsEntry("note", "done");
      assertThat(state.getMessages()).isEmpty();
      assertThat(h.deadLetters.isEmpty()).isTrue();
    } finally {
      action.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Form.class)
  void aWriteOutsideTheDeclaredWritesFails(Form form) {
    StreamingAction action =
        form.of(
            attempt ->
                List.of(
                    new Last(
                        new Final(
                            ActionResult.of("x"),
                            StateUpdate.builder().put("secret", "x").build())),
                    new End()));
    try (Harness h = harness(action)) {
      h.send("s", "r1", "go");
      Chunk end = awaitEnd(h);

      assertThat(end.getError().getKind()).isEqualTo("CONTRACT_VIOLATION");
      assertThat(end.getError().getMessage()).contains("[secret]");
      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(state.getFields()).doesNotContainKey("secret");
      assertThat(h.deadLetters.readValue().getReason()).isEqualTo("REQUEST_FAILED");
    } finally {
      action.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Form.class)
  void aStreamThatEndsWithoutAFinalFails(Form form) {
    StreamingAction action = form.of(attempt -> List.of(new Partial("half"), new End()));
    try (Harness h = harness(action)) {
      h.send("s", "r1", "go");
      Chunk end = awaitEnd(h);

      assertThat(end.getSequence()).isEqualTo(1);
      assertThat(end.getError().getKind()).isEqualTo("CONTRACT_VIOLATION");
      assertThat(end.getError().getMessage()).contains("ended without a final");
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(h.deadLetters.readValue().getReason()).isEqualTo("REQUEST_FAILED");
    } finally {
      action.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Form.class)
  void exactlyOneFinalCountsAndAFailureAfterItIsIgnored(Form form) {
    StreamingAction action =
        form.of(
            attempt ->
                List.of(
                    new Last(note("first", "1")),
                    new Last(note("second", "2")),
                    new Fail(new IllegalStateException("late")),
                    new End()));
    try (Harness h = harness(action)) {
      h.send("s", "r1", "go");
      Chunk end = awaitEnd(h);
      for (int i = 0; i < 5; i++) {
        h.pump();
      }

      assertThat(h.endChunks()).hasSize(1);
      assertThat(end.getError()).isNull();
      assertThat(end.getTextLength()).isEqualTo("first".length());
      assertThat(h.states("s"))
          .singleElement()
          .satisfies(
              state -> {
                assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
                assertThat(state.getFields()).containsEntry("note", "1");
              });
      assertThat(h.deadLetters.isEmpty()).isTrue();
    } finally {
      action.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Form.class)
  void aFailureFailsTheRequestAtOnce(Form form) {
    AtomicInteger attempts = new AtomicInteger();
    StreamingAction action =
        form.of(
            attempt -> {
              attempts.incrementAndGet();
              return List.of(new Partial("a"), new Fail(new IllegalStateException("broken")));
            });
    try (Harness h = harness(action)) {
      h.send("s", "r1", "go");
      Chunk end = awaitEnd(h);
      h.pumpPastBackoff();

      assertThat(end.getError().getKind()).isEqualTo("ACTION_FAILED");
      assertThat(end.getError().getMessage()).isEqualTo("broken");
      assertThat(end.getError().getRetriable()).isFalse();
      assertThat(attempts).hasValue(1);
      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("REQUEST_FAILED");
      assertThat(letter.getMessage()).isEqualTo("ACTION_FAILED: broken");
    } finally {
      action.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Form.class)
  void aRetriableFailureIsRetriedNotBeforeItsRetryAfter(Form form) {
    AtomicInteger started = new AtomicInteger();
    StreamingAction action =
        form.of(
            attempt -> {
              started.set(attempt);
              return attempt == 1
                  ? List.of(
                      new Partial("lost"),
                      new Fail(new RetriableFailure("busy", Duration.ofMillis(900), null)))
                  : List.of(new Partial("kept"), new Last(note("kept", "ok")), new End());
            });
    try (Harness h = harness(action)) {
      h.send("s", "r1", "go");
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                h.pump();
                assertThat(failuresOfHead(h)).isEqualTo(1);
              });

      // Without the Retry-After the first retry would wait 50 to 100 ms.
      h.driver.advanceWallClockTime(Duration.ofMillis(500));
      h.pump();
      assertThat(h.endChunks()).isEmpty();
      h.driver.advanceWallClockTime(Duration.ofMillis(500));
      Chunk end = awaitEnd(h);

      assertThat(end.getAttempt()).isEqualTo(2);
      assertThat(end.getError()).isNull();
      assertThat(h.rebuiltText("r1")).isEqualTo("kept");
      assertThat(h.states("s"))
          .singleElement()
          .satisfies(state -> assertThat(state.getFields()).containsEntry("note", "ok"));
      assertThat(h.deadLetters.isEmpty()).isTrue();
      assertThat(started).hasValue(2);
    } finally {
      action.close();
    }
  }

  private static int failuresOfHead(Harness h) {
    KeyValueStore<String, PendingRequest> pending =
        h.driver.getKeyValueStore(StreamingActionProcessorSupplier.PENDING_STORE);
    try (KeyValueIterator<String, PendingRequest> all = pending.all()) {
      int failures = 0;
      while (all.hasNext()) {
        KeyValue<String, PendingRequest> entry = all.next();
        failures = Math.max(failures, entry.value.getFailures());
      }
      return failures;
    }
  }
}
