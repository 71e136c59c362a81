package dev.runnel.app;

import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigException;

/**
 * Finds the providers {@code runnel.actions} names ({@link ActionProvider}s and {@link
 * ApplicationProvider}s) and creates what they provide.
 */
final class ActionProviders {
  private ActionProviders() {}

  /**
   * The applications of every provider {@code runnel.actions} names, in its order; an action is an
   * application of one step.
   *
   * @throws ConfigException naming the entry that is neither a provider's name nor the class name
   *     of a provider, or whose provider fails to create its action
   */
  static List<Application> create(RunnelConfig config) {
    List<Application> created = new ArrayList<>();
    try {
      for (String entry : config.getList(RunnelConfig.ACTIONS_CONFIG)) {
        created.add(find(entry).apply(config));
      }
      return created;
    } catch (RuntimeException e) {
      actionsOf(created).forEach(StreamingAction::close);
      throw e;
    }
  }

  /** Every action of {@code applications}, each once, in order. */
  static List<StreamingAction> actionsOf(List<Application> applications) {
    Set<StreamingAction> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<StreamingAction> actions = new ArrayList<>();
    for (Application application : applications) {
      for (StreamingAction action : application.actions()) {
        if (seen.add(action)) {
          actions.add(action);
        }
      }
    }
    return actions;
  }

  private static Function<RunnelConfig, Application> find(String entry) {
    TreeSet<String> names = new TreeSet<>();
    for (ActionProvider provider : ServiceLoader.load(ActionProvider.class)) {
      if (provider.name().equals(entry)) {
        return config -> Application.of(provider.create(config));
      }
      names.add(provider.name());
    }
    for (ApplicationProvider provider : ServiceLoader.load(ApplicationProvider.class)) {
      if (provider.name().equals(entry)) {
        return provider::create;
      }
      names.add(provider.name());
    }
    Class<?> type;
    try {
      type = Class.forName(entry, true, Thread.currentThread().getContextClassLoader());
    } catch (ClassNotFoundException e) {
      throw new ConfigException(
          RunnelConfig.ACTIONS_CONFIG,
          entry,
          "no action or application provider of that name on the class path (providers found: "
              + names
              + ") and no class of that name");
    }
    if (ActionProvider.class.isAssignableFrom(type)) {
      ActionProvider provider = (ActionProvider) instantiate(type, entry);
      return config -> Application.of(provider.create(config));
    }
    if (ApplicationProvider.class.isAssignableFrom(type)) {
      return ((ApplicationProvider) instantiate(type, entry))::create;
    }
    throw new ConfigException(
        RunnelConfig.ACTIONS_CONFIG,
        entry,
        "the class implements neither ActionProvider nor ApplicationProvider");
  }

  private static Object instantiate(Class<?> type, String entry) {
    try {
      return type.getConstructor().newInstance();
    } catch (NoSuchMethodException | IllegalAccessException | InstantiationException e) {
      throw new ConfigException(
          RunnelConfig.ACTIONS_CONFIG,
          entry,
          "an action provider needs to be a public class with a public no-argument constructor");
    } catch (InvocationTargetException e) {
      throw new ConfigException(
          RunnelConfig.ACTIONS_CONFIG, entry, "the provider's constructor threw " + e.getCause());
    }
  }
}
