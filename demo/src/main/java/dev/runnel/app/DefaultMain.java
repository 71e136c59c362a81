package dev.runnel.app;

import dev.runnel.config.RunnelConfig;
import dev.runnel.simulator.SimulatedModelServer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RunnelApplication}'s main for a first start against a real cluster: with the default
 * provider ({@code simulated}) and no {@code runnel.model.base.url}, it starts the simulated model
 * server in-process and points Runnel at it, so no model server and no key are needed. The core's
 * own main never starts a simulator. The image's default command.
 */
public final class DefaultMain {
  private static final Logger log = LoggerFactory.getLogger(DefaultMain.class);

  private DefaultMain() {}

  public static void main(String[] args) {
    AtomicReference<SimulatedModelServer> simulator = new AtomicReference<>();
    RunnelApplication.main(
        args,
        config -> {
          if (!RunnelConfig.PROVIDER_SIMULATED.equals(config.modelProvider())
              || !config.modelBaseUrl().isEmpty()) {
            return config;
          }
          SimulatedModelServer server = SimulatedModelServer.start();
          simulator.set(server);
          Map<String, Object> settings = new HashMap<>(config.originals());
          settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, server.openAiBaseUrl());
          log.info("No model endpoint configured: started the simulated model server in-process");
          return new RunnelConfig(settings);
        },
        () -> {
          SimulatedModelServer server = simulator.getAndSet(null);
          if (server != null) {
            server.close();
          }
        });
  }
}
