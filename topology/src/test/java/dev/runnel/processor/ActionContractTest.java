package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Burr contract as the processor enforces it, with actions written against it directly. */
class ActionContractTest {
  @TempDir Path stateDir;

  /** An action that declares the given fields and runs the given body. */
  private static StreamingAction action(
      Set<String> reads, Set<String> writes, BiConsumer<ActionState, ActionOutput> body) {
    return new StreamingAction() {
      @Override
      public ActionSpec spec() {
        return new ActionSpec("test", reads, writes);
      }

      @Override
      public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
        body.accept(state, output);
        return () -> {};
      }
    };
  }

  private Harness harness(StreamingAction action) {
    return new Harness(stateDir, action, Map.of(), new RecordingDeltaPublisher());
  }

  @Test
  void aFinalUpdatesTheActionsOwnFields() {
    StreamingAction counter =
        action(
            Set.of("count"),
            Set.of("count"),
            (state, out) -> {
              int count = Integer.parseInt(state.field("count").orElse("0")) + 1;
              out.partial("counted");
              out.last(
                  ActionResult.of("counted"),
                  StateUpdate.builder().put("count", Integer.toString(count)).build());
            });
    try (Harness h = harness(counter)) {
      h.send("s", "one");
      h.pump();
      h.send("s", "two");
      h.pump();

      assertThat(h.states("s"))
          .extracting(state -> state.getFields().get("count"))
          .containsExactly("1", "2");
    }
  }

  @Test
  void aWriteOutsideTheDeclaredWritesFailsTheRequest() {
    StreamingAction sneaky =
        action(
            Set.of(),
            Set.of("summary"),
            (state, out) ->
                out.last(ActionResult.of("x"), StateUpdate.builder().put("secret", "x").build()));
    try (Harness h = harness(sneaky)) {
      h.send("s", "hi");
      h.pump();

      SessionState state = h.states("s").get(0);
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(state.getLastError().getKind()).isEqualTo("CONTRACT_VIOLATION");
      assertThat(state.getLastError().getMessage()).contains("[secret]");
      assertThat(state.getFields()).doesNotContainKey("secret");
    }
  }

  @Test
  void aStreamThatEndsWithoutAFinalIsAFailure() {
    StreamingAction noFinal =
        action(
            Set.of(),
            Set.of(),
            (state, out) -> {
              out.partial("half an answer");
              out.end();
            });
    try (Harness h = harness(noFinal)) {
      h.send("s", "hi");
      h.pump();

      Chunk end = h.endChunks().get(0);
      assertThat(end.getSequence()).isEqualTo(1);
      assertThat(end.getError().getKind()).isEqualTo("CONTRACT_VIOLATION");
      assertThat(end.getError().getMessage()).contains("ended without a final");
      assertThat(h.deadLetters.readValue().getReason()).isEqualTo("REQUEST_FAILED");
    }
  }

  @Test
  void readingAFieldThatWasNotDeclaredFailsTheRequestNotTheStreamThread() {
    StreamingAction nosy = action(Set.of(), Set.of(), (state, out) -> state.messages());
    try (Harness h = harness(nosy)) {
      h.send("s", "hi");
      h.pump();
      h.send("s", "again");
      h.pump();

      assertThat(h.states("s"))
          .extracting(SessionState::getLastStatus)
          .containsExactly(RequestStatus.FAILED, RequestStatus.FAILED);
      assertThat(h.states("s").get(0).getLastError().getMessage())
          .contains("'messages' is not among the action's declared reads");
    }
  }

  @Test
  void onlyTheFirstTerminalYieldCounts() {
    StreamingAction twice =
        action(
            Set.of(),
            Set.of(),
            (state, out) -> {
              out.last(ActionResult.of("first"), StateUpdate.builder().build());
              out.last(ActionResult.of("second"), StateUpdate.builder().build());
              out.fail(new IllegalStateException("late"));
            });
    try (Harness h = harness(twice)) {
      h.send("s", "hi");
      h.pump();
      h.pump();

      assertThat(h.states("s")).hasSize(1);
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(h.endChunks())
          .singleElement()
          .satisfies(end -> assertThat(end.getTextLength()).isEqualTo(5));
    }
  }
}
