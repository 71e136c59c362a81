package dev.runnel.action;

import java.util.Objects;
import java.util.Set;

/**
 * What an action is called and which state fields it reads and writes. {@link ActionState#MESSAGES}
 * names the conversation; any other name is one of the action's own fields, a JSON value read and
 * written through a {@link StateKey}.
 */
public record ActionSpec(String name, Set<String> reads, Set<String> writes) {
  public ActionSpec {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("action name must not be blank");
    }
    reads = Set.copyOf(reads);
    writes = Set.copyOf(writes);
  }
}
