package dev.runnel.application;

import dev.runnel.action.ActionState;
import dev.runnel.action.StreamingAction;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Named actions joined by transitions, as Apache Burr's {@code ApplicationBuilder} makes them: one
 * prompt runs the application from its entry action, one step at a time, until a halting action
 * finishes without a transition that holds. After each step its state update is applied (exactly
 * once, on the stream thread) and the first of the finished action's transitions whose condition
 * holds on the new state names the next step. The run's journal is kept with the request in a
 * changelogged store: a step whose update was committed is never run again, after a crash or a
 * rebalance the run resumes at the step that had not finished. See docs/applications.md.
 *
 * <p>A single action is an application of one step ({@link #of}).
 */
public final class Application {
  /** The bound on steps per run when the builder sets none. */
  public static final int DEFAULT_MAX_STEPS = 25;

  private record Transition(String to, Condition condition) {}

  private final String name;
  private final Map<String, StreamingAction> actions;
  private final String entry;
  private final Set<String> halts;
  private final Map<String, List<Transition>> transitions;
  private final int maxSteps;
  private final Set<String> remoteTools;

  private Application(Builder builder) {
    this.name = builder.name;
    this.actions = Collections.unmodifiableMap(new LinkedHashMap<>(builder.actions));
    this.entry = builder.entry;
    this.halts = Set.copyOf(builder.halts);
    Map<String, List<Transition>> copies = new LinkedHashMap<>();
    builder.transitions.forEach((from, list) -> copies.put(from, List.copyOf(list)));
    this.transitions = Map.copyOf(copies);
    this.maxSteps = builder.maxSteps;
    this.remoteTools = Collections.unmodifiableSet(new LinkedHashSet<>(builder.remoteTools));
  }

  /** The application of one step: {@code action}, under its spec's name, entry and halt at once. */
  public static Application of(StreamingAction action) {
    String name = action.spec().name();
    return builder(name).action(action).entry(name).halt(name).maxSteps(1).build();
  }

  /** A builder of an application that prompts name by {@code name} (their {@code action} field). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The name prompts give it by. */
  public String name() {
    return name;
  }

  /** The action the run starts with. */
  public String entry() {
    return entry;
  }

  /** The action named {@code name}, if the application has it. */
  public Optional<StreamingAction> action(String name) {
    return Optional.ofNullable(actions.get(name));
  }

  /** Every action of the application. */
  public Collection<StreamingAction> actions() {
    return actions.values();
  }

  /**
   * True when a run may end after {@code action}: it ends there unless one of the action's
   * transitions holds.
   */
  public boolean halts(String action) {
    return halts.contains(action);
  }

  /** True when {@code action} has transitions out. */
  public boolean hasTransitions(String action) {
    return transitions.containsKey(action);
  }

  /** The most steps one run may take; a run that would take more fails. */
  public int maxSteps() {
    return maxSteps;
  }

  /**
   * The tools its steps may ask as remote calls ({@link dev.runnel.action.Final#withRemoteCalls}):
   * an instance hosting an application that has any reads and writes the tool topics.
   */
  public Set<String> remoteTools() {
    return remoteTools;
  }

  /**
   * The step after {@code from}: the target of its first transition whose condition holds on {@code
   * state}, or empty when none does.
   */
  public Optional<String> next(String from, ActionState state) {
    for (Transition transition : transitions.getOrDefault(from, List.of())) {
      if (transition.condition().test(state)) {
        return Optional.of(transition.to());
      }
    }
    return Optional.empty();
  }

  /** Builds an {@link Application}; {@link #build} checks the graph and names what is wrong. */
  public static final class Builder {
    private final String name;
    private final Map<String, StreamingAction> actions = new LinkedHashMap<>();
    private final Map<String, List<Transition>> transitions = new LinkedHashMap<>();
    private final Set<String> halts = new LinkedHashSet<>();
    private final Set<String> remoteTools = new LinkedHashSet<>();
    private String entry;
    private int maxSteps = DEFAULT_MAX_STEPS;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("application name must not be blank");
      }
      this.name = name;
    }

    /** Adds an action, under its spec's name. */
    public Builder action(StreamingAction action) {
      Objects.requireNonNull(action, "action");
      String actionName = action.spec().name();
      if (actions.putIfAbsent(actionName, action) != null) {
        throw new IllegalArgumentException(
            "application '" + name + "' already has an action named '" + actionName + "'");
      }
      return this;
    }

    /** The action every run starts with. */
    public Builder entry(String action) {
      this.entry = Objects.requireNonNull(action, "action");
      return this;
    }

    /** A transition taken whenever {@code from} finishes and no earlier one of it was taken. */
    public Builder transition(String from, String to) {
      return transition(from, to, Condition.always());
    }

    /**
     * A transition from {@code from} to {@code to}, taken when {@code condition} holds on the state
     * after {@code from}'s update; an action's transitions are tried in the order added.
     */
    public Builder transition(String from, String to, Condition condition) {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(condition, "condition");
      transitions.computeIfAbsent(from, k -> new ArrayList<>()).add(new Transition(to, condition));
      return this;
    }

    /**
     * Actions after which the run ends (Burr's {@code halt_after}), unless one of the action's
     * transitions holds: an agent's model step halts when it asks for no tool, and goes on to the
     * tools when it does.
     */
    public Builder halt(String... actionNames) {
      for (String action : actionNames) {
        halts.add(Objects.requireNonNull(action, "action"));
      }
      return this;
    }

    /**
     * Declares a tool answered by a service over Kafka: the application's steps may ask it as a
     * remote call, published to {@code runnel.topic.tool.calls} and answered on {@code
     * runnel.topic.tool.results}. A step asking an undeclared tool fails.
     */
    public Builder remoteTool(String tool) {
      Objects.requireNonNull(tool, "tool");
      if (tool.isBlank()) {
        throw new IllegalArgumentException("a remote tool's name must not be blank");
      }
      remoteTools.add(tool);
      return this;
    }

    /** The most steps one run may take, {@value #DEFAULT_MAX_STEPS} unless set. */
    public Builder maxSteps(int maxSteps) {
      if (maxSteps < 1) {
        throw new IllegalArgumentException("maxSteps must be at least 1, was " + maxSteps);
      }
      this.maxSteps = maxSteps;
      return this;
    }

    /**
     * @throws IllegalArgumentException when the application has no action, no entry or no halting
     *     action, when an entry, halt or transition names an action it does not have, or when an
     *     action that does not halt has no transition out
     */
    public Application build() {
      String what = "application '" + name + "'";
      if (actions.isEmpty()) {
        throw new IllegalArgumentException(what + " has no action");
      }
      if (entry == null) {
        throw new IllegalArgumentException(what + " has no entry action");
      }
      if (halts.isEmpty()) {
        throw new IllegalArgumentException(what + " has no halting action");
      }
      requireKnown(entry, "its entry");
      halts.forEach(h -> requireKnown(h, "a halting action"));
      transitions.forEach(
          (from, list) -> {
            requireKnown(from, "a transition's source");
            list.forEach(t -> requireKnown(t.to(), "a transition's target"));
          });
      for (String action : actions.keySet()) {
        if (!halts.contains(action) && !transitions.containsKey(action)) {
          throw new IllegalArgumentException(
              what
                  + ": action '"
                  + action
                  + "' neither halts nor has a transition out; add one, or halt after it");
        }
      }
      return new Application(this);
    }

    private void requireKnown(String action, String role) {
      if (!actions.containsKey(action)) {
        throw new IllegalArgumentException(
            "application '"
                + name
                + "': "
                + role
                + " names action '"
                + action
                + "', which it does not have (actions: "
                + actions.keySet()
                + ")");
      }
    }
  }
}
