package dev.runnel.app;

import dev.runnel.config.RunnelConfig;

/**
 * A front end that the embedded default starts beside Runnel when it is on the class path (the
 * gateway module provides one through {@link java.util.ServiceLoader}), so the topology module does
 * not depend on it.
 */
public interface FrontEnd extends AutoCloseable {

  /** Where a person opens it, e.g. {@code http://127.0.0.1:8080/}. */
  String url();

  @Override
  void close();

  /** Starts a front end; implementations have a public no-argument constructor. */
  interface Factory {
    /**
     * @param config Runnel's settings, with the Kafka client settings and the state-query URL of
     *     the running instance
     */
    FrontEnd start(RunnelConfig config);
  }
}
