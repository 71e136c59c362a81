package dev.runnel.application;

import dev.runnel.action.ActionState;
import dev.runnel.action.StateKey;
import java.util.Objects;

/**
 * When a transition is taken, decided on the session's state after a step's update was applied (as
 * Burr's {@code when}, {@code expr} and {@code default}). It runs on a Kafka Streams thread: it
 * must be fast and depend on nothing but the state. The state it sees has every field readable.
 */
@FunctionalInterface
public interface Condition {

  boolean test(ActionState state);

  /** Always taken: the fallback after the conditional transitions of an action. */
  static Condition always() {
    return state -> true;
  }

  /** Taken when the field holds {@code value} (a missing field holds nothing, so never equals). */
  static <T> Condition when(StateKey<T> key, T value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    return state -> state.get(key).map(value::equals).orElse(false);
  }
}
