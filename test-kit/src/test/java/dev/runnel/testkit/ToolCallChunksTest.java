package dev.runnel.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.FlowAction;
import dev.runnel.action.Partials;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.action.Yield;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ToolCallDelta;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ToolCallFragment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tool-call fragments an action publishes reach the chunk topic as records of their own. */
class ToolCallChunksTest {
  private static final ActionSpec SPEC = new ActionSpec("tools", Set.of(), Set.of());
  private static final List<Yield> YIELDS =
      List.of(
          Yield.partial("Looking "),
          Yield.toolCall(new ToolCallDelta(0, "call_1", "search", "{\"q\":")),
          Yield.toolCall(new ToolCallDelta(0, null, null, "\"kafka\"}")),
          Yield.toolCall(new ToolCallDelta(1, "call_2", "clock", "{}")),
          Yield.partial("found"),
          Final.of(StateUpdate.builder().build()));

  /** Blocking form: emits the yields in order. */
  private static final class Blocking implements BlockingAction {
    @Override
    public ActionSpec spec() {
      return SPEC;
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials) {
      for (Yield yield : YIELDS) {
        if (yield instanceof Yield.Partial partial) {
          partials.emit(partial.text());
        } else if (yield instanceof Yield.ToolCallPartial fragment) {
          partials.toolCall(fragment.fragment());
        } else {
          return (Final) yield;
        }
      }
      throw new AssertionError("the yields end with a final");
    }
  }

  /** Publisher form: publishes the yields from a thread of its own. */
  private static final class Publishing implements FlowAction {
    @Override
    public ActionSpec spec() {
      return SPEC;
    }

    @Override
    public Flow.Publisher<Yield> run(ActionState state, ActionInput input) {
      SubmissionPublisher<Yield> publisher = new SubmissionPublisher<>();
      return subscriber -> {
        publisher.subscribe(subscriber);
        new Thread(
                () -> {
                  YIELDS.forEach(publisher::submit);
                  publisher.close();
                },
                "tool-call-publisher")
            .start();
      };
    }
  }

  @ParameterizedTest
  @CsvSource({
    "blocking, " + RunnelConfig.LANE_IMMEDIATE,
    "blocking, " + RunnelConfig.LANE_TRANSACTIONAL,
    "publisher, " + RunnelConfig.LANE_IMMEDIATE,
    "publisher, " + RunnelConfig.LANE_TRANSACTIONAL
  })
  void fragmentsAreRecordsOfTheirOwnBetweenTheText(String form, String lane) {
    StreamingAction action =
        form.equals("blocking")
            ? StreamingAction.blocking(new Blocking(), 2)
            : StreamingAction.fromPublisher(new Publishing());
    try (ActionTestDriver driver =
        ActionTestDriver.builder(action).setting(RunnelConfig.DELTA_LANE_CONFIG, lane).build()) {
      String request = driver.send("alice", "find kafka");
      driver.awaitFinal("alice", request);

      List<Chunk> deltas =
          driver.chunks().stream()
              .filter(c -> c.getRequestId().equals(request) && !c.getEnd())
              .sorted((a, b) -> Integer.compare(a.getSequence(), b.getSequence()))
              .toList();
      Chunk end = driver.chunks().stream().filter(Chunk::getEnd).findFirst().orElseThrow();
      assertThat(deltas).extracting(Chunk::getSequence).doesNotHaveDuplicates();
      assertThat(end.getSequence()).isEqualTo(deltas.size());
      assertThat(driver.rebuiltText(request)).isEqualTo("Looking found");
      assertThat(deltas.get(0).getDelta()).isEqualTo("Looking ");
      assertThat(deltas.get(deltas.size() - 1).getDelta()).isEqualTo("found");
      List<ToolCallFragment> fragments =
          deltas.stream().map(Chunk::getToolCall).filter(f -> f != null).toList();
      assertThat(fragments.get(0).getId()).isEqualTo("call_1");
      assertThat(fragments.get(0).getName()).isEqualTo("search");
      assertThat(arguments(fragments, 0)).isEqualTo("{\"q\":\"kafka\"}");
      assertThat(arguments(fragments, 1)).isEqualTo("{}");
      assertThat(fragments.stream().filter(f -> f.getIndex() == 1).findFirst().orElseThrow())
          .extracting(ToolCallFragment::getId, ToolCallFragment::getName)
          .containsExactly("call_2", "clock");
    }
  }

  private static String arguments(List<ToolCallFragment> fragments, int index) {
    return fragments.stream()
        .filter(f -> f.getIndex() == index)
        .map(ToolCallFragment::getArguments)
        .collect(Collectors.joining());
  }
}
