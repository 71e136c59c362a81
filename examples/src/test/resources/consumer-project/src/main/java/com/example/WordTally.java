package com.example;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import java.util.Set;

/** Streams the prompt back word by word and keeps the session's running count of words. */
public final class WordTally implements BlockingAction {
  public static final StateKey<Integer> WORDS = StateKey.of("words", Integer.class);

  @Override
  public ActionSpec spec() {
    return new ActionSpec("word-tally", Set.of("words"), Set.of("words"));
  }

  @Override
  public Final run(ActionState state, ActionInput input, Partials partials) {
    String[] words = input.prompt().trim().split("\\s+");
    for (String word : words) {
      partials.emit(word.toUpperCase() + " ");
    }
    int total = state.get(WORDS).orElse(0) + words.length;
    return new Final(
        ActionResult.ofPartials().withValue(total),
        StateUpdate.builder().set(WORDS, total).build());
  }
}
