package dev.runnel.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateKey;
import dev.runnel.action.StreamingAction;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The builder refuses a graph that cannot run, naming what is wrong. */
class ApplicationBuilderTest {
  private static final StateKey<String> ROUTE = StateKey.of("route", String.class);

  private static StreamingAction named(String name) {
    return new StreamingAction() {
      @Override
      public ActionSpec spec() {
        return new ActionSpec(name, Set.of(), Set.of());
      }

      @Override
      public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
        throw new UnsupportedOperationException("not run by this test");
      }
    };
  }

  private static ActionState withRoute(String route) {
    return new ActionState("s", 1, List.of(), Map.of("route", route), Set.of("route"));
  }

  @Test
  void theFirstTransitionWhoseConditionHoldsNamesTheNextStep() {
    Application app =
        Application.builder("app")
            .action(named("a"))
            .action(named("b"))
            .action(named("c"))
            .entry("a")
            .transition("a", "b", Condition.when(ROUTE, "b"))
            .transition("a", "c")
            .transition("b", "c")
            .halt("c")
            .build();

    assertThat(app.next("a", withRoute("b"))).contains("b");
    assertThat(app.next("a", withRoute("x"))).contains("c");
    assertThat(app.next("c", withRoute("b"))).isEmpty();
    assertThat(app.halts("c")).isTrue();
    assertThat(app.maxSteps()).isEqualTo(Application.DEFAULT_MAX_STEPS);
  }

  @Test
  void aSingleActionIsAnApplicationOfOneStep() {
    Application app = Application.of(named("chat"));

    assertThat(app.name()).isEqualTo("chat");
    assertThat(app.entry()).isEqualTo("chat");
    assertThat(app.halts("chat")).isTrue();
    assertThat(app.maxSteps()).isEqualTo(1);
  }

  @Test
  void aGraphThatCannotRunIsRefusedNamingWhatIsWrong() {
    assertThatThrownBy(() -> Application.builder("app").build())
        .hasMessage("application 'app' has no action");
    assertThatThrownBy(() -> Application.builder("app").action(named("a")).halt("a").build())
        .hasMessage("application 'app' has no entry action");
    assertThatThrownBy(() -> Application.builder("app").action(named("a")).entry("a").build())
        .hasMessage("application 'app' has no halting action");
    assertThatThrownBy(
            () -> Application.builder("app").action(named("a")).entry("b").halt("a").build())
        .hasMessage(
            "application 'app': its entry names action 'b', which it does not have (actions: [a])");
    assertThatThrownBy(
            () ->
                Application.builder("app")
                    .action(named("a"))
                    .entry("a")
                    .transition("a", "z")
                    .halt("a")
                    .build())
        .hasMessage(
            "application 'app': a transition's target names action 'z', which it does not have"
                + " (actions: [a])");
    assertThatThrownBy(
            () ->
                Application.builder("app")
                    .action(named("a"))
                    .action(named("b"))
                    .entry("a")
                    .halt("b")
                    .build())
        .hasMessage(
            "application 'app': action 'a' neither halts nor has a transition out; add one, or"
                + " halt after it");
    assertThatThrownBy(() -> Application.builder("app").action(named("a")).action(named("a")))
        .hasMessage("application 'app' already has an action named 'a'");
    assertThatThrownBy(() -> Application.builder("app").maxSteps(0))
        .hasMessage("maxSteps must be at least 1, was 0");
  }
}
