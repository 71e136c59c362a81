package dev.runnel.app.it;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.app.ApplicationProvider;
import dev.runnel.app.ChatModels;
import dev.runnel.application.Application;
import dev.runnel.application.Condition;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ChatStream;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * An application of three model calls on the public API alone, for tests that run an instance from
 * settings ({@code runnel.actions} names this class): {@code outline}, then {@code draft} unless
 * the prompt asks for a short answer, then {@code polish}, which halts. Each step asks the model
 * "step: prompt", so the simulator's recorded requests tell the steps apart; {@code polish} takes 6
 * s.
 */
public final class ThreeStepProvider implements ApplicationProvider {
  static final StateKey<String> ROUTE = StateKey.of("route", String.class);

  /** What polish adds to its request: long enough to kill an instance while it streams. */
  static final String SLOW = " [[sim duration_ms=6000]]";

  @Override
  public String name() {
    return "three-steps";
  }

  @Override
  public Application create(RunnelConfig config) {
    ChatModel model = ChatModels.create(config);
    return Application.builder("three-steps")
        .action(
            step(
                model,
                "outline",
                Set.of("route"),
                "",
                (input, reply) ->
                    StateUpdate.builder()
                        .set(ROUTE, input.prompt().contains("short") ? "polish" : "draft")
                        .build(),
                true))
        .action(
            step(
                model,
                "draft",
                Set.of("draft"),
                "",
                (input, reply) -> StateUpdate.builder().put("draft", reply).build(),
                false))
        .action(
            step(
                model,
                "polish",
                Set.of(ActionState.MESSAGES),
                SLOW,
                (input, reply) ->
                    StateUpdate.builder()
                        .appendMessages(
                            ChatMessage.user(input.prompt()), ChatMessage.assistant(reply))
                        .build(),
                false))
        .entry("outline")
        .transition("outline", "draft", Condition.when(ROUTE, "draft"))
        .transition("outline", "polish")
        .transition("draft", "polish")
        .halt("polish")
        .build();
  }

  private static StreamingAction step(
      ChatModel model,
      String name,
      Set<String> writes,
      String options,
      BiFunction<ActionInput, String, StateUpdate> update,
      boolean closesModel) {
    return StreamingAction.blocking(
        new BlockingAction() {
          @Override
          public ActionSpec spec() {
            return new ActionSpec(name, Set.of(), writes);
          }

          @Override
          public Final run(ActionState state, ActionInput input, Partials partials) {
            StringBuilder reply = new StringBuilder();
            ChatRequest request =
                new ChatRequest(
                    input.model(),
                    List.of(ChatMessage.user(name + ": " + input.prompt() + options)));
            try (ChatStream stream = model.stream(request)) {
              for (String delta : stream) {
                partials.emit(delta);
                reply.append(delta);
              }
            }
            return new Final(ActionResult.ofPartials(), update.apply(input, reply.toString()));
          }

          @Override
          public void close() {
            if (closesModel) {
              model.close();
            }
          }
        });
  }
}
