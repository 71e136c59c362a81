package dev.runnel.app;

import dev.runnel.config.RunnelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * Reads Runnel's settings from a properties file, then lets environment variables override them:
 * {@code RUNNEL_TOPIC_PROMPTS} sets {@code runnel.topic.prompts} and {@code
 * KAFKA_BOOTSTRAP_SERVERS} sets {@code bootstrap.servers} (upper case, underscores for dots). A
 * {@code RUNNEL_} variable counts only when it names a setting of {@link RunnelConfig}.
 */
public final class ConfigLoader {
  /** Environment variable naming the properties file when no argument does. */
  public static final String CONFIG_FILE_ENV = "RUNNEL_CONFIG_FILE";

  private static final String RUNNEL_ENV_PREFIX = "RUNNEL_";
  private static final String KAFKA_ENV_PREFIX = "KAFKA_";

  // Kafka's own shell scripts read these; they are JVM options, not client settings.
  private static final Set<String> IGNORED_ENV =
      Set.of(
          CONFIG_FILE_ENV,
          "KAFKA_OPTS",
          "KAFKA_HEAP_OPTS",
          "KAFKA_JVM_PERFORMANCE_OPTS",
          "KAFKA_LOG4J_OPTS",
          "KAFKA_JMX_OPTS",
          "KAFKA_DEBUG");

  private ConfigLoader() {}

  /**
   * The settings from {@code file} (if any) with the environment's overrides applied.
   *
   * @throws ConfigException if the file cannot be read, or a value is invalid (naming the key)
   */
  public static RunnelConfig load(Optional<Path> file, Map<String, String> env) {
    return new RunnelConfig(settings(file, env));
  }

  /** The file named by the first argument, else by {@code RUNNEL_CONFIG_FILE}, else none. */
  public static Optional<Path> configFile(String[] args, Map<String, String> env) {
    if (args.length > 0 && !args[0].isBlank()) {
      return Optional.of(Path.of(args[0]));
    }
    return Optional.ofNullable(env.get(CONFIG_FILE_ENV)).filter(s -> !s.isBlank()).map(Path::of);
  }

  /** The raw settings, before validation. */
  public static Map<String, Object> settings(Optional<Path> file, Map<String, String> env) {
    Map<String, Object> settings = new HashMap<>();
    file.ifPresent(path -> readFile(path).forEach((k, v) -> settings.put((String) k, v)));
    env.forEach(
        (name, value) -> {
          if (IGNORED_ENV.contains(name)) {
            return;
          }
          if (name.startsWith(RUNNEL_ENV_PREFIX)) {
            String key = RunnelConfig.RUNNEL_PREFIX + toKey(name, RUNNEL_ENV_PREFIX);
            // Only settings Runnel defines: other RUNNEL_ variables, such as the one holding the
            // model's API key, are read by name where needed and must not become settings.
            if (RunnelConfig.CONFIG.names().contains(key)) {
              settings.put(key, value);
            }
          } else if (name.startsWith(KAFKA_ENV_PREFIX)) {
            settings.put(toKey(name, KAFKA_ENV_PREFIX), value);
          }
        });
    return settings;
  }

  private static String toKey(String envName, String prefix) {
    return envName.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  private static Properties readFile(Path path) {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(path)) {
      props.load(in);
    } catch (IOException e) {
      throw new ConfigException(
          "Cannot read the configuration file " + path.toAbsolutePath() + ": " + e);
    }
    return props;
  }
}
