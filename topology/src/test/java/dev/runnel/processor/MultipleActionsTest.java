package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One instance hosting two actions: each prompt runs the one it names, or the first. */
@Timeout(60)
class MultipleActionsTest {
  @TempDir Path stateDir;

  /** Every action a test created: their pools' threads must not outlive the test. */
  private final List<StreamingAction> created = new ArrayList<>();

  @AfterEach
  void closeActions() {
    created.forEach(StreamingAction::close);
  }

  /** Streams its prompt in upper or lower case and records which action ran. */
  private StreamingAction casing(String name, boolean upper) {
    return track(
        StreamingAction.blocking(
            new BlockingAction() {
              @Override
              public ActionSpec spec() {
                return new ActionSpec(name, Set.of(), Set.of("ranBy"));
              }

              @Override
              public Final run(ActionState state, ActionInput input, Partials partials) {
                partials.emit(
                    upper
                        ? input.prompt().toUpperCase(Locale.ROOT)
                        : input.prompt().toLowerCase(Locale.ROOT));
                return Final.of(StateUpdate.builder().put("ranBy", name).build());
              }
            },
            4));
  }

  private StreamingAction track(StreamingAction action) {
    created.add(action);
    return action;
  }

  private Harness harness() {
    return new Harness(
        stateDir,
        List.of(casing("upper", true), casing("lower", false)),
        Map.of(),
        new RecordingDeltaPublisher(),
        List.of());
  }

  private static void send(Harness h, String session, String requestId, String action) {
    h.prompts.pipeInput(
        session,
        Prompt.newBuilder().setRequestId(requestId).setContent("Hello").setAction(action).build());
  }

  private static SessionState awaitVersion(Harness h, String session, long version) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              h.pump();
              return h.states(session).stream().anyMatch(s -> s.getVersion() == version);
            });
    return h.states(session).get(h.states(session).size() - 1);
  }

  @Test
  void aPromptRunsTheActionItNamesAndOneWithoutANameRunsTheFirst() {
    try (Harness h = harness()) {
      send(h, "s", "r1", "lower");
      awaitVersion(h, "s", 1);
      send(h, "s", "r2", null);
      SessionState state = awaitVersion(h, "s", 2);

      assertThat(h.rebuiltText("r1")).isEqualTo("hello");
      assertThat(h.rebuiltText("r2")).isEqualTo("HELLO");
      assertThat(state.getFields()).containsEntry("ranBy", "upper");
      assertThat(h.deadLetters.readValuesToList()).isEmpty();
    }
  }

  @Test
  void aPromptForAnActionNotHostedIsDeadLetteredNamingTheHostedOnes() {
    try (Harness h = harness()) {
      send(h, "s", "r1", "translate");
      send(h, "s", "r2", "lower");
      awaitVersion(h, "s", 1);

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters)
          .singleElement()
          .extracting(DeadLetter::getReason)
          .isEqualTo("UNKNOWN_ACTION");
      assertThat(letters.get(0).getRequestId()).isEqualTo("r1");
      assertThat(letters.get(0).getMessage())
          .isEqualTo("action 'translate' is not hosted here (actions: [upper, lower])");
      assertThat(h.rebuiltText("r2")).isEqualTo("hello");
    }
  }

  @Test
  void aRequestAcceptedForAnActionNoLongerDeployedFailsForGoodAfterARestart() {
    Map<String, List<org.apache.kafka.streams.KeyValue<byte[], byte[]>>> changelogs;
    try (Harness h = harness()) {
      // Accepted while the run cannot start: no punctuation has run yet.
      send(h, "s", "r1", "lower");
      changelogs = h.changelogs();
    }
    try (Harness h =
        new Harness(
            stateDir,
            List.of(casing("upper", true)),
            Map.of(),
            new RecordingDeltaPublisher(),
            List.of())) {
      h.restore(changelogs);
      SessionState state = awaitVersion(h, "s", 1);

      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(h.endChunks())
          .singleElement()
          .satisfies(
              end -> {
                assertThat(end.getError().getKind()).isEqualTo("UNKNOWN_ACTION");
                assertThat(end.getError().getMessage())
                    .isEqualTo("action 'lower' is not hosted by this instance (actions: [upper])");
              });
    }
  }

  @Test
  void twoActionsWithOneNameAreRefused() {
    assertThatThrownBy(
            () ->
                new Harness(
                    stateDir,
                    List.of(casing("same", true), casing("same", false)),
                    Map.of(),
                    new RecordingDeltaPublisher(),
                    List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "two actions or applications are named 'same'; every one an instance hosts needs its own name");
  }
}
