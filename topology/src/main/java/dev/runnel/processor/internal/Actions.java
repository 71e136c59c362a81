package dev.runnel.processor.internal;

import dev.runnel.application.Application;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The applications one instance hosts, by name (a single action is an application of one step). A
 * prompt names the application it is for, or none: then it runs the first.
 */
public final class Actions {
  private final Map<String, Application> byName = new LinkedHashMap<>();

  /**
   * @throws IllegalArgumentException when {@code applications} is empty or two share a name
   */
  public Actions(List<Application> applications) {
    if (applications.isEmpty()) {
      throw new IllegalArgumentException("an instance needs at least one action");
    }
    for (Application application : applications) {
      String name = application.name();
      if (byName.putIfAbsent(name, application) != null) {
        throw new IllegalArgumentException(
            "two actions or applications are named '"
                + name
                + "'; every one an instance hosts needs its own name");
      }
    }
  }

  /** The application a prompt without an action name runs. */
  String defaultName() {
    return byName.keySet().iterator().next();
  }

  Optional<Application> named(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  Set<String> names() {
    return byName.keySet();
  }
}
