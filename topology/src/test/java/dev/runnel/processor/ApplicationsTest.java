package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.application.Condition;
import dev.runnel.model.ChatMessage;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Applications on the processor: one prompt runs the steps the transitions pick until a halting
 * action, each step's update applied as its own state version, each step's records tagged with its
 * index and action, and a restart resumes at the step that had not finished.
 */
@Timeout(60)
class ApplicationsTest {
  private static final StateKey<String> ROUTE = StateKey.of("route", String.class);
  private static final StateKey<Integer> ROUNDS = StateKey.of("rounds", Integer.class);

  @TempDir Path stateDir;

  /** How many times each action was started, over every harness of a test. */
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  /**
   * An action that streams "[name]" and finishes with {@code update}, or, when {@code finishes} is
   * false, starts and never finishes (a call still streaming when its instance goes).
   */
  private StreamingAction step(
      String name,
      Set<String> writes,
      boolean finishes,
      Function<ActionInput, StateUpdate> update) {
    return new StreamingAction() {
      @Override
      public ActionSpec spec() {
        return new ActionSpec(name, Set.of(), writes);
      }

      @Override
      public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
        calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        if (finishes) {
          output.partial("[" + name + "]");
          output.last(ActionResult.ofPartials(), update.apply(input));
          output.end();
        }
        return () -> {};
      }
    };
  }

  private StreamingAction plan() {
    return step(
        "plan",
        Set.of("route"),
        true,
        input ->
            StateUpdate.builder()
                .set(ROUTE, input.prompt().contains("search") ? "search" : "answer")
                .build());
  }

  private StreamingAction search() {
    return step(
        "search", Set.of("found"), true, in -> StateUpdate.builder().put("found", "3").build());
  }

  private StreamingAction answer(boolean finishes) {
    return step(
        "answer",
        Set.of(ActionState.MESSAGES),
        finishes,
        input ->
            StateUpdate.builder()
                .appendMessages(ChatMessage.user(input.prompt()), ChatMessage.assistant("done"))
                .build());
  }

  /** plan, then search when the plan says so, then answer, which halts. */
  private Application research(boolean answerFinishes) {
    return Application.builder("research")
        .action(plan())
        .action(search())
        .action(answer(answerFinishes))
        .entry("plan")
        .transition("plan", "search", Condition.when(ROUTE, "search"))
        .transition("plan", "answer")
        .transition("search", "answer")
        .halt("answer")
        .build();
  }

  private static void send(Harness h, String requestId, String content) {
    h.prompts.pipeInput(
        "s",
        Prompt.newBuilder().setRequestId(requestId).setContent(content).setAction(null).build());
  }

  private static List<Chunk> deltas(Harness h) {
    return h.allChunks().stream().filter(c -> !c.getEnd()).toList();
  }

  @Test
  void aPromptRunsTheStepsTheTransitionsPickUntilAHaltingActionFinishes() {
    try (Harness h = new Harness(stateDir, research(true), Map.of())) {
      send(h, "r1", "please search");
      h.awaitVersion("s", 3);

      assertThat(deltas(h))
          .extracting(Chunk::getStep, c -> c.getAction().toString(), Chunk::getDelta)
          .containsExactly(
              tuple(0, "plan", "[plan]"),
              tuple(1, "search", "[search]"),
              tuple(2, "answer", "[answer]"));
      assertThat(h.endChunks())
          .singleElement()
          .satisfies(
              end -> {
                assertThat(end.getStep()).isEqualTo(2);
                assertThat(end.getAction()).isEqualTo("answer");
                assertThat(end.getTextLength()).isEqualTo("[plan][search][answer]".length());
                assertThat(end.getSessionVersion()).isEqualTo(3);
              });
      List<SessionState> states = h.states("s");
      assertThat(states)
          .extracting(SessionState::getVersion, SessionState::getLastStatus)
          .containsExactly(
              tuple(1L, RequestStatus.RUNNING),
              tuple(2L, RequestStatus.RUNNING),
              tuple(3L, RequestStatus.COMPLETED));
      assertThat(states.get(0).getFields()).containsEntry("route", "search");
      assertThat(states.get(2).getFields()).containsEntry("found", "3");
      assertThat(states.get(2).getMessages()).hasSize(2);
      assertThat(calls).containsOnlyKeys("plan", "search", "answer");
      assertThat(calls.values()).allSatisfy(n -> assertThat(n).hasValue(1));
    }
  }

  @Test
  void aConditionThatDoesNotHoldLeadsToTheNextTransition() {
    try (Harness h = new Harness(stateDir, research(true), Map.of())) {
      send(h, "r1", "hello");
      h.awaitVersion("s", 2);

      assertThat(deltas(h)).extracting(Chunk::getDelta).containsExactly("[plan]", "[answer]");
      assertThat(h.states("s").get(1).getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(calls).doesNotContainKey("search");
    }
  }

  @Test
  void aRestartResumesAtTheStepThatHadNotFinishedAndRunsNoFinishedStepAgain() {
    Map<String, List<KeyValue<byte[], byte[]>>> changelogs;
    try (Harness h = new Harness(stateDir, research(false), Map.of())) {
      send(h, "r1", "please search");
      h.awaitVersion("s", 2);
      await().until(() -> calls.containsKey("answer"));
      changelogs = h.changelogs();
    }
    try (Harness h = new Harness(stateDir, research(true), Map.of())) {
      h.restore(changelogs);
      h.pump();
      SessionState last = h.awaitVersion("s", 3);

      assertThat(last.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(calls.get("plan")).hasValue(1);
      assertThat(calls.get("search")).hasValue(1);
      assertThat(calls.get("answer")).hasValue(2);
      assertThat(deltas(h))
          .extracting(Chunk::getStep, Chunk::getAttempt, Chunk::getDelta)
          .containsExactly(tuple(2, 2, "[answer]"));
      // The journal kept the earlier steps' text lengths: the end record counts the whole reply.
      assertThat(h.endChunks())
          .singleElement()
          .extracting(Chunk::getTextLength)
          .isEqualTo("[plan][search][answer]".length());
    }
  }

  @Test
  void anActionWhoseTransitionsDoNotHoldEndsTheRunAsAFailureKeepingItsUpdate() {
    Application strict =
        Application.builder("strict")
            .action(plan())
            .action(search())
            .entry("plan")
            .transition("plan", "search", Condition.when(ROUTE, "search"))
            .halt("search")
            .build();
    try (Harness h = new Harness(stateDir, strict, Map.of())) {
      send(h, "r1", "hello");
      SessionState last = h.awaitVersion("s", 2);

      assertThat(h.states("s").get(0).getFields()).containsEntry("route", "answer");
      assertThat(last.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(last.getLastError().getKind()).isEqualTo("NO_TRANSITION");
      assertThat(last.getLastError().getMessage())
          .isEqualTo(
              "application 'strict': no transition from action 'plan' holds on the state it"
                  + " left, and 'plan' does not halt");
      assertThat(h.deadLetters.readValuesToList())
          .singleElement()
          .extracting(DeadLetter::getReason)
          .isEqualTo("REQUEST_FAILED");
    }
  }

  @Test
  void aRunThatReachesItsBoundOnStepsFails() {
    StreamingAction again =
        step(
            "again",
            Set.of("rounds"),
            true,
            in -> StateUpdate.builder().set(ROUNDS, calls.get("again").get()).build());
    StreamingAction done = step("done", Set.of(), true, in -> StateUpdate.builder().build());
    Application loop =
        Application.builder("loop")
            .action(again)
            .action(done)
            .entry("again")
            .transition("again", "done", Condition.when(ROUNDS, 10))
            .transition("again", "again")
            .halt("done")
            .maxSteps(3)
            .build();
    try (Harness h = new Harness(stateDir, loop, Map.of())) {
      send(h, "r1", "go");
      SessionState last = h.awaitVersion("s", 4);

      assertThat(calls.get("again")).hasValue(3);
      assertThat(last.getLastError().getKind()).isEqualTo("STEP_LIMIT");
      assertThat(last.getLastError().getMessage())
          .isEqualTo("application 'loop' reached its bound of 3 steps");
      assertThat(h.endChunks()).singleElement().extracting(Chunk::getStep).isEqualTo(2);
    }
  }
}
