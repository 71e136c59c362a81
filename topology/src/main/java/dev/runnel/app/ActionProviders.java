package dev.runnel.app;

import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigException;

/** Finds the providers {@code runnel.actions} names and creates their actions. */
final class ActionProviders {
  private ActionProviders() {}

  /**
   * The actions of every provider {@code runnel.actions} names, in its order.
   *
   * @throws ConfigException naming the entry that is neither a provider's name nor the class name
   *     of a provider, or whose provider fails to create its action
   */
  static List<StreamingAction> create(RunnelConfig config) {
    List<StreamingAction> actions = new ArrayList<>();
    try {
      for (String entry : config.getList(RunnelConfig.ACTIONS_CONFIG)) {
        actions.add(find(entry).create(config));
      }
      return actions;
    } catch (RuntimeException e) {
      for (StreamingAction action : actions) {
        action.close();
      }
      throw e;
    }
  }

  private static ActionProvider find(String entry) {
    TreeSet<String> names = new TreeSet<>();
    for (ActionProvider provider : ServiceLoader.load(ActionProvider.class)) {
      if (provider.name().equals(entry)) {
        return provider;
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
          "no action provider of that name on the class path (providers found: "
              + names
              + ") and no class of that name");
    }
    if (!ActionProvider.class.isAssignableFrom(type)) {
      throw new ConfigException(
          RunnelConfig.ACTIONS_CONFIG, entry, "the class does not implement ActionProvider");
    }
    try {
      return (ActionProvider) type.getConstructor().newInstance();
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
