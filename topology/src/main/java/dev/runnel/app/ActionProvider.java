package dev.runnel.app;

import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;

/**
 * Provides an action to an instance that is started without code of its own ({@code bin/runnel
 * topology}, {@link RunnelApplication}), as Kafka Connect finds its plugins: {@code runnel.actions}
 * names the provider, either by {@link #name()} (the provider is listed in {@code
 * META-INF/services/dev.runnel.app.ActionProvider} of a jar on the class path) or by its class
 * name. Implementations are public and have a public no-argument constructor.
 */
public interface ActionProvider {

  /** The name {@code runnel.actions} gives this provider by, e.g. {@code chat}. */
  String name();

  /**
   * Creates the action; the instance owns it from here on and closes it when it stops.
   *
   * @param config the instance's settings (a provider may read its own keys from {@link
   *     RunnelConfig#originals()})
   */
  StreamingAction create(RunnelConfig config);
}
