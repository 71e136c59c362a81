package dev.runnel.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateUpdate;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.testkit.ActionTestDriver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class TypewriterTest {
  private static final String LONG_TEXT = "All work and no play makes Jack a dull boy. ".repeat(5);

  @Test
  void typesThePromptBackAndCountsTheCharactersTypedInTheSession() {
    try (ActionTestDriver driver =
        ActionTestDriver.builder(new Typewriter(Duration.ofMillis(1))).build()) {
      String first = driver.send("alice", "Hello, typewriter");
      driver.awaitFinal("alice", first);
      String second = driver.send("alice", "Noch einmal 👋");
      driver.awaitFinal("alice", second);

      assertThat(driver.rebuiltText(first)).isEqualTo("Hello, typewriter");
      assertThat(driver.rebuiltText(second)).isEqualTo("Noch einmal 👋");
      assertThat(driver.field("alice", Typewriter.TYPED_CHARS)).hasValue(17 + 13);
      assertThat(driver.latestState("alice").orElseThrow().getVersion()).isEqualTo(2);
    }
  }

  @Test
  void aCancelledRunEndsCancelledWithWhatItTypedAndWritesNoState() {
    try (ActionTestDriver driver =
        ActionTestDriver.builder(new Typewriter(Duration.ofMillis(20))).build()) {
      String request = driver.send("alice", LONG_TEXT);
      driver.awaitPartial(request);
      driver.cancel("alice", request);

      assertThat(driver.awaitFinal("alice", request).getLastStatus())
          .isEqualTo(RequestStatus.CANCELLED);
      Chunk end = driver.chunks().stream().filter(Chunk::getEnd).findFirst().orElseThrow();
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.CANCELLED);
      assertThat(driver.rebuiltText(request)).isNotEmpty().isNotEqualTo(LONG_TEXT);
      assertThat(LONG_TEXT).startsWith(driver.rebuiltText(request));
      assertThat(driver.latestState("alice").orElseThrow().getJsonFields())
          .doesNotContainKey(Typewriter.TYPED_CHARS.name());
    }
  }

  @Test
  void cancelStopsTheKeystrokesAndCloseStopsTheThread() {
    Typewriter typewriter = new Typewriter(Duration.ofMillis(5));
    Recording output = new Recording();
    RunningAction run =
        typewriter.start(
            new ActionState("alice", 0, List.of(), Map.of(), Set.of("typed_chars")),
            new ActionInput("alice", "r1", 1, LONG_TEXT, "none", Map.of()),
            output);
    await().atMost(Duration.ofSeconds(10)).until(() -> output.partials.size() >= 3);

    run.cancel();
    int typed = output.partials.size();
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(2))
        .until(() -> output.partials.size() <= typed + 1);
    assertThat(output.partials.size()).isLessThan(LONG_TEXT.length());
    assertThat(output.finals).isEmpty();

    typewriter.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !output.thread.isAlive());
  }

  /** Records what a run reports, and the thread it reports from. */
  private static final class Recording implements ActionOutput {
    final List<String> partials = new CopyOnWriteArrayList<>();
    final List<StateUpdate> finals = new CopyOnWriteArrayList<>();
    volatile Thread thread;

    @Override
    public void partial(String delta) {
      thread = Thread.currentThread();
      partials.add(delta);
    }

    @Override
    public void last(ActionResult result, StateUpdate update) {
      finals.add(update);
    }

    @Override
    public void fail(Throwable error) {}

    @Override
    public void end() {}
  }
}
