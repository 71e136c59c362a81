package dev.runnel.processor.internal;

import dev.runnel.action.StreamingAction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The actions one instance hosts, by their spec's name. A prompt names the action it is for, or
 * none: then it runs the first.
 */
public final class Actions {
  private final Map<String, StreamingAction> byName = new LinkedHashMap<>();

  /**
   * @throws IllegalArgumentException when {@code actions} is empty or two share a name
   */
  public Actions(List<StreamingAction> actions) {
    if (actions.isEmpty()) {
      throw new IllegalArgumentException("an instance needs at least one action");
    }
    for (StreamingAction action : actions) {
      String name = action.spec().name();
      if (byName.putIfAbsent(name, action) != null) {
        throw new IllegalArgumentException(
            "two actions are named '" + name + "'; every action of an instance needs its own name");
      }
    }
  }

  /** The action a prompt without an action name runs. */
  String defaultName() {
    return byName.keySet().iterator().next();
  }

  Optional<StreamingAction> named(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  Set<String> names() {
    return byName.keySet();
  }
}
