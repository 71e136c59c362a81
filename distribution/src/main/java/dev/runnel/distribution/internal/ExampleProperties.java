package dev.runnel.distribution.internal;

import dev.runnel.config.RunnelConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;

/**
 * Writes the distribution's {@code config/runnel.properties} from {@link RunnelConfig#CONFIG}:
 * every setting commented out with its documentation, type, valid values and default, so the
 * example cannot drift from the code. With a file argument it writes that file; without, it prints.
 *
 * <p>After {@code mvn -q -B -pl distribution -am package -DskipTests}: {@code java -cp
 * 'distribution/target/runnel-<version>/lib/*' dev.runnel.distribution.internal.ExampleProperties
 * distribution/src/main/dist/config/runnel.properties}
 */
public final class ExampleProperties {
  private static final int WIDTH = 100;

  private static final String HEADER =
      """
      # Runnel settings for a cluster: `bin/runnel topology config/runnel.properties` (and the same
      # file for `bin/runnel gateway`). Every line is commented out, so as it stands this file gives
      # the defaults: uncomment and edit what you need. Generated from RunnelConfig by
      # dev.runnel.distribution.internal.ExampleProperties; ExamplePropertiesTest keeps it in step.
      #
      # The environment overrides the file: RUNNEL_<KEY> sets runnel.<key> (lower case, `_` for `.`),
      # KAFKA_<KEY> sets the Kafka setting <key>. The model's key is never a setting: it is read from
      # the variable named by runnel.model.api.key.env (RUNNEL_MODEL_API_KEY) or from a file.

      ############################## Kafka ##############################
      # Every setting without the runnel. prefix goes unchanged to every Kafka client Runnel creates
      # (Kafka Streams and its clients, the immediate-lane producer, the admin client).

      # The brokers to bootstrap from.
      #bootstrap.servers=broker1:9092,broker2:9092

      # Instances with the same id share the partitions and take over each other's sessions.
      #application.id=runnel

      # Security. The JAAS line is better passed from the environment as KAFKA_SASL_JAAS_CONFIG.
      #security.protocol=SASL_SSL
      #sasl.mechanism=PLAIN

      ############################## Runnel ##############################
      """;

  private ExampleProperties() {}

  public static void main(String[] args) throws IOException {
    String text = render(RunnelConfig.CONFIG);
    if (args.length == 0) {
      System.out.print(text);
    } else {
      Files.writeString(Path.of(args[0]), text, StandardCharsets.UTF_8);
    }
  }

  /** The whole file: the header, then each setting in the order {@code def} defines them. */
  public static String render(ConfigDef def) {
    StringBuilder out = new StringBuilder(HEADER);
    for (ConfigKey key : def.configKeys().values()) {
      out.append('\n');
      for (String line : wrap(key.documentation.replace('\n', ' '), WIDTH - 2)) {
        out.append("# ").append(line).append('\n');
      }
      out.append("# Type: ").append(key.type.name().toLowerCase(Locale.ROOT));
      if (key.validator != null) {
        out.append(". Valid values: ").append(key.validator);
      }
      out.append(".\n");
      out.append('#').append(key.name).append('=').append(defaultValue(key)).append('\n');
    }
    return out.toString();
  }

  private static String defaultValue(ConfigKey key) {
    if (!key.hasDefault() || key.defaultValue == null) {
      return "";
    }
    String value = ConfigDef.convertToString(key.defaultValue, key.type);
    return value == null ? "" : value;
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.trim().split(" +")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
