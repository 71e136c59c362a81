package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.RetriableFailure;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.hook.PartialInfo;
import dev.runnel.hook.RequestEvent;
import dev.runnel.hook.RunHook;
import dev.runnel.hook.RunInfo;
import dev.runnel.hook.RunOutcome;
import dev.runnel.hook.StateApplied;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.RequestStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What hooks hear of requests and runs, in order, and that a throwing hook breaks nothing. */
@Timeout(60)
class HooksTest {
  private static final ActionSpec SPEC = new ActionSpec("words", Set.of(), Set.of("count"));

  @TempDir Path stateDir;

  /** Every action a test created: their pools' threads must not outlive the test. */
  private final List<StreamingAction> created = new ArrayList<>();

  @AfterEach
  void closeActions() {
    created.forEach(StreamingAction::close);
  }

  /** Records every call as one line. */
  static final class Recording implements RunHook {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<PartialInfo> partials = new CopyOnWriteArrayList<>();

    @Override
    public void beforeRun(RunInfo run) {
      calls.add("before " + run);
    }

    @Override
    public void onPartial(RunInfo run, PartialInfo partial) {
      partials.add(partial);
      calls.add("partial " + run.requestId() + " " + partial.index());
    }

    @Override
    public void afterRun(RunInfo run, RunOutcome outcome) {
      calls.add(
          "after "
              + run.requestId()
              + " attempt "
              + run.attempt()
              + " "
              + (outcome instanceof RunOutcome.Completed ? "Completed" : outcome));
    }

    @Override
    public void onStateApplied(StateApplied applied) {
      calls.add("state " + applied);
    }

    @Override
    public void onRequest(RequestEvent event) {
      calls.add("request " + event);
    }
  }

  /** Throws from every method. */
  static final class Throwing implements RunHook {
    final AtomicInteger calls = new AtomicInteger();

    private RuntimeException fail() {
      calls.incrementAndGet();
      return new IllegalStateException("hook bug");
    }

    @Override
    public void beforeRun(RunInfo run) {
      throw fail();
    }

    @Override
    public void onPartial(RunInfo run, PartialInfo partial) {
      throw fail();
    }

    @Override
    public void afterRun(RunInfo run, RunOutcome outcome) {
      throw fail();
    }

    @Override
    public void onStateApplied(StateApplied applied) {
      throw fail();
    }

    @Override
    public void onRequest(RequestEvent event) {
      throw fail();
    }
  }

  /** Emits each word of the prompt; a prompt starting with "flaky" fails its first attempt. */
  private StreamingAction words() {
    return StreamingAction.blocking(
        new BlockingAction() {
          @Override
          public ActionSpec spec() {
            return SPEC;
          }

          @Override
          public Final run(ActionState state, ActionInput input, Partials partials) {
            if (input.prompt().startsWith("flaky") && input.attempt() == 1) {
              throw new RetriableFailure("try again");
            }
            String[] words = input.prompt().split(" ");
            for (String word : words) {
              partials.emit(word);
            }
            return Final.of(StateUpdate.builder().put("count", "" + words.length).build());
          }
        },
        4);
  }

  private Harness harness(StreamingAction action, RunHook... hooks) {
    created.add(action);
    return new Harness(
        stateDir, List.of(action), Map.of(), new RecordingDeltaPublisher(), List.of(hooks));
  }

  private static void awaitVersion(Harness h, String session, long version) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              h.pumpPastBackoff();
              return h.states(session).stream().anyMatch(s -> s.getVersion() == version);
            });
  }

  @Test
  void aRunIsHeardFromAcceptanceToItsAppliedState() {
    Recording hook = new Recording();
    try (Harness h = harness(words(), hook)) {
      h.send("s", "r1", "one two three");
      awaitVersion(h, "s", 1);

      assertThat(hook.calls)
          .containsExactly(
              "request RequestEvent[session=s, requestId=r1, kind=ACCEPTED, reason=null]",
              "before RunInfo[session=s, requestId=r1, attempt=1, action=words]",
              "partial r1 0",
              "partial r1 1",
              "partial r1 2",
              "state StateApplied[session=s, requestId=r1, version=1, status=COMPLETED]",
              "after r1 attempt 1 Completed");
      assertThat(hook.partials).extracting(PartialInfo::length).containsExactly(3, 3, 5);
      assertThat(hook.partials)
          .allSatisfy(p -> assertThat(p.firstAfter()).isEqualTo(hook.partials.get(0).sinceStart()));
      assertThat(hook.partials.get(2).sinceStart())
          .isGreaterThanOrEqualTo(hook.partials.get(0).sinceStart());
    }
  }

  @Test
  void aRetryIsAFailedRunThatWillRetryThenTheNextAttempt() {
    Recording hook = new Recording();
    try (Harness h = harness(words(), hook)) {
      h.send("s", "r1", "flaky run");
      awaitVersion(h, "s", 1);

      assertThat(hook.calls)
          .containsSubsequence(
              "before RunInfo[session=s, requestId=r1, attempt=1, action=words]",
              "after r1 attempt 1 Failed[kind=RETRIABLE_FAILURE, message=try again, willRetry=true]",
              "before RunInfo[session=s, requestId=r1, attempt=2, action=words]",
              "state StateApplied[session=s, requestId=r1, version=1, status=COMPLETED]",
              "after r1 attempt 2 Completed");
    }
  }

  @Test
  void cancellationsAndDeadLettersAreHeard() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    StreamingAction waits =
        StreamingAction.blocking(
            new BlockingAction() {
              @Override
              public ActionSpec spec() {
                return SPEC;
              }

              @Override
              public Final run(ActionState state, ActionInput input, Partials partials)
                  throws InterruptedException {
                running.countDown();
                new CountDownLatch(1).await();
                return Final.of(StateUpdate.builder().build());
              }
            },
            4);
    Recording hook = new Recording();
    try (Harness h = harness(waits, hook)) {
      h.send("s", "r1", " ");
      h.send("s", "r2", "wait");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                h.pump();
                return running.getCount() == 0;
              });
      h.cancellations.pipeInput("s", Cancellation.newBuilder().setRequestId("r2").build());
      awaitVersion(h, "s", 1);

      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.CANCELLED);
      assertThat(hook.calls)
          .containsExactly(
              "request RequestEvent[session=s, requestId=r1, kind=DEAD_LETTERED,"
                  + " reason=EMPTY_PROMPT]",
              "request RequestEvent[session=s, requestId=r2, kind=ACCEPTED, reason=null]",
              "before RunInfo[session=s, requestId=r2, attempt=1, action=words]",
              "state StateApplied[session=s, requestId=r2, version=1, status=CANCELLED]",
              "after r2 attempt 1 Cancelled[]");
    }
  }

  @Test
  void aHookThatThrowsBreaksNeitherTheRunNorTheHooksAfterIt() {
    Throwing throwing = new Throwing();
    Recording hook = new Recording();
    try (Harness h = harness(words(), throwing, hook)) {
      h.send("s", "r1", "still answered");
      awaitVersion(h, "s", 1);

      assertThat(h.rebuiltText("r1")).isEqualTo("stillanswered");
      assertThat(h.states("s").get(0).getFields()).containsEntry("count", "2");
      assertThat(throwing.calls).hasValue(hook.calls.size());
      assertThat(hook.calls).hasSize(6).last().isEqualTo("after r1 attempt 1 Completed");
    }
  }
}
