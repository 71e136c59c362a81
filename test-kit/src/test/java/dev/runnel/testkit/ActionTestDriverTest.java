package dev.runnel.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ActionTestDriverTest {
  static final StateKey<Integer> COUNT = StateKey.of("count", Integer.class);
  static final StateKey<List<String>> WORDS = StateKey.of("words", new TypeReference<>() {});

  /** Streams each word; counts the runs of the session and keeps the last prompt's words. */
  static final class Words implements BlockingAction {
    @Override
    public ActionSpec spec() {
      return new ActionSpec("words", Set.of("count"), Set.of("count", "words"));
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials)
        throws InterruptedException {
      if (input.prompt().equals("wait")) {
        partials.emit("waiting ");
        new CountDownLatch(1).await();
      }
      List<String> words = Arrays.asList(input.prompt().split(" "));
      for (String word : words) {
        partials.emit(word + " ");
      }
      return Final.of(
          StateUpdate.builder()
              .set(COUNT, state.get(COUNT).orElse(0) + 1)
              .set(WORDS, words)
              .build());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_IMMEDIATE, RunnelConfig.LANE_TRANSACTIONAL})
  void runsAnActionAndReadsItsTextAndTypedFields(String lane) {
    try (ActionTestDriver driver =
        ActionTestDriver.builder(StreamingAction.blocking(new Words(), 2))
            .setting(RunnelConfig.DELTA_LANE_CONFIG, lane)
            .build()) {
      String first = driver.send("alice", "hello there");
      SessionState state = driver.awaitFinal("alice", first);
      String second = driver.send("alice", "and again");
      driver.awaitFinal("alice", second);

      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(driver.rebuiltText(first)).isEqualTo("hello there ");
      assertThat(driver.rebuiltText(second)).isEqualTo("and again ");
      assertThat(driver.field("alice", COUNT)).hasValue(2);
      assertThat(driver.field("alice", WORDS)).hasValue(List.of("and", "again"));
      assertThat(driver.states("alice"))
          .extracting(SessionState::getVersion)
          .containsExactly(1L, 2L);
      assertThat(driver.field("alice", StateKey.of("never-set", String.class))).isEmpty();
      assertThat(driver.latestState("bob")).isEmpty();
    }
  }

  /** Streams its name and the prompt; counts its closes. */
  static final class Step implements BlockingAction {
    final String name;
    final AtomicInteger closes = new AtomicInteger();

    Step(String name) {
      this.name = name;
    }

    @Override
    public ActionSpec spec() {
      return new ActionSpec(name, Set.of(), Set.of(name));
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials) {
      partials.emit(name + ": " + input.prompt());
      return Final.of(StateUpdate.builder().set(StateKey.of(name, Boolean.class), true).build());
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void runsAnApplicationStepByStepAndAwaitsItsLastStep() {
    Step draft = new Step("draft");
    Step polish = new Step("polish");
    Application application =
        Application.builder("writer")
            .action(StreamingAction.blocking(draft))
            .action(StreamingAction.blocking(polish))
            .entry("draft")
            .transition("draft", "polish")
            .halt("polish")
            .build();
    try (ActionTestDriver driver = ActionTestDriver.builder(application).build()) {
      String request = driver.send("alice", "hello");
      SessionState state = driver.awaitFinal("alice", request);

      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(driver.states("alice"))
          .extracting(SessionState::getVersion, SessionState::getLastStatus)
          .containsExactly(tuple(1L, RequestStatus.RUNNING), tuple(2L, RequestStatus.COMPLETED));
      assertThat(driver.chunks().stream().filter(c -> !c.getEnd()))
          .extracting(Chunk::getStep, c -> c.getAction().toString(), c -> c.getDelta().toString())
          .containsExactly(tuple(0, "draft", "draft: hello"), tuple(1, "polish", "polish: hello"));
      assertThat(driver.chunks().stream().filter(Chunk::getEnd)).hasSize(1);
      assertThat(driver.rebuiltText(request)).isEqualTo("polish: hello");
      assertThat(driver.field("alice", StateKey.of("draft", Boolean.class))).hasValue(true);
    }
    assertThat(draft.closes).hasValue(1);
    assertThat(polish.closes).hasValue(1);
  }

  @Test
  void cancelsARunningRequestAndReadsDeadLetters() {
    try (ActionTestDriver driver =
        ActionTestDriver.builder(StreamingAction.blocking(new Words(), 2)).build()) {
      driver.send("alice", "r0", " ");
      String request = driver.send("alice", "wait");
      assertThat(driver.awaitPartial(request).getDelta()).isEqualTo("waiting ");
      driver.cancel("alice", request);

      assertThat(driver.awaitFinal("alice", request).getLastStatus())
          .isEqualTo(RequestStatus.CANCELLED);
      assertThat(driver.deadLetters())
          .singleElement()
          .extracting(DeadLetter::getReason)
          .isEqualTo("EMPTY_PROMPT");
    }
  }

  @Test
  void awaitingARequestThatNeverEndsNamesIt() {
    try (ActionTestDriver driver =
        ActionTestDriver.builder(StreamingAction.blocking(new Words(), 2))
            .awaitLimit(Duration.ofMillis(200))
            .build()) {
      assertThatThrownBy(() -> driver.awaitFinal("alice", "never-sent"))
          .isInstanceOf(AssertionError.class)
          .hasMessageStartingWith(
              "session alice applied no outcome of request never-sent within PT0.2S");
    }
  }
}
