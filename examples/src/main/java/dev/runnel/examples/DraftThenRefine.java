package dev.runnel.examples;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ChatStream;
import java.util.List;
import java.util.Set;

/** Blocking form: two streamed model calls in one action, a draft and then the draft refined. */
public record DraftThenRefine(ChatModel model) implements BlockingAction {
  public static final StateKey<String> DRAFT = StateKey.of("draft", String.class);
  public static final StateKey<Integer> DRAFT_CHARS = StateKey.of("draft_chars", Integer.class);

  @Override
  public ActionSpec spec() {
    return new ActionSpec("draft-then-refine", Set.of(), Set.of("draft", "draft_chars"));
  }

  @Override
  public Final run(ActionState state, ActionInput input, Partials partials) {
    String draft = streamed("Draft an answer: " + input.prompt(), input, partials);
    partials.emit("\n---\n");
    streamed("Improve this draft: " + draft, input, partials);
    return Final.of(
        StateUpdate.builder().set(DRAFT, draft).set(DRAFT_CHARS, draft.length()).build());
  }

  private String streamed(String prompt, ActionInput input, Partials partials) {
    StringBuilder text = new StringBuilder();
    try (ChatStream stream =
        model.stream(new ChatRequest(input.model(), List.of(ChatMessage.user(prompt))))) {
      for (String delta : stream) {
        partials.emit(delta);
        text.append(delta);
      }
    }
    return text.toString();
  }
}
