package dev.runnel.app;

import dev.runnel.app.internal.StreamsSettings;
import dev.runnel.config.RunnelConfig;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main that runs one {@link Runnel} instance from a configuration file, hosting the actions
 * {@code runnel.actions} names (the chat action by default): {@code java -cp ...
 * dev.runnel.app.RunnelApplication [config.properties]}; see {@link ConfigLoader} for the
 * environment overrides.
 */
public final class RunnelApplication {
  private static final Logger log = LoggerFactory.getLogger(RunnelApplication.class);

  private RunnelApplication() {}

  public static void main(String[] args) {
    main(args, UnaryOperator.identity(), () -> {});
  }

  /**
   * The main's steps, for a main that adds to them: loads the configuration from {@code args} and
   * the environment, passes it through {@code prepare} (the demo module's main starts the simulated
   * model there when no endpoint is configured), runs an instance until it stops, then runs {@code
   * cleanup}. Exits with 2 on an invalid setting and 1 when the instance stopped in error.
   */
  public static void main(String[] args, UnaryOperator<RunnelConfig> prepare, Runnable cleanup) {
    try {
      run(args, System.getenv(), prepare, cleanup);
    } catch (ConfigException e) {
      // The message names the key and the value (Kafka masks passwords); no stack trace needed.
      log.error(
          "Invalid configuration: {} (settings come from the file given as first argument or in"
              + " {}, and from RUNNEL_* / KAFKA_* environment variables; see the README)",
          e.getMessage(),
          ConfigLoader.CONFIG_FILE_ENV);
      cleanup.run();
      System.exit(2);
    }
  }

  private static void run(
      String[] args,
      Map<String, String> env,
      UnaryOperator<RunnelConfig> prepare,
      Runnable cleanup) {
    RunnelConfig loaded = ConfigLoader.load(ConfigLoader.configFile(args, env), env);
    // Validates the Kafka settings (bootstrap.servers above all) before anything starts.
    new StreamsConfig(StreamsSettings.of(loaded));
    RunnelConfig config = prepare.apply(loaded);
    Runnel runnel = Runnel.builder(config).start();
    Runnable stop =
        () -> {
          runnel.close();
          cleanup.run();
        };
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "runnel-shutdown"));
    runnel.awaitStopped();
    State last = runnel.streams().state();
    stop.run();
    if (last == State.ERROR) {
      System.exit(1);
    }
  }
}
