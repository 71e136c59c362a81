package dev.runnel.app;

import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;

/**
 * Provides an application to an instance started without code of its own, as {@link ActionProvider}
 * provides an action: {@code runnel.actions} names it by {@link #name()} (listed in {@code
 * META-INF/services/dev.runnel.app.ApplicationProvider}) or by its class name. Implementations are
 * public and have a public no-argument constructor.
 */
public interface ApplicationProvider {

  /** The name {@code runnel.actions} gives this provider by. */
  String name();

  /**
   * Creates the application; the instance owns its actions from here on and closes them when it
   * stops.
   */
  Application create(RunnelConfig config);
}
