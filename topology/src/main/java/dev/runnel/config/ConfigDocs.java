package dev.runnel.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;

/**
 * Generates the README's configuration reference from {@link RunnelConfig#CONFIG}, so the docs
 * cannot drift from the code. With a file argument it rewrites the table between the {@link #START}
 * and {@link #END} markers in that file; without, it prints the table.
 *
 * <p>{@code mvn -q -pl topology exec:java -Dexec.mainClass=dev.runnel.config.ConfigDocs
 * -Dexec.args=README.md}
 */
public final class ConfigDocs {
  public static final String START = "<!-- config-reference:start -->";
  public static final String END = "<!-- config-reference:end -->";

  private ConfigDocs() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.out.print(markdownTable(RunnelConfig.CONFIG));
      return;
    }
    Path file = Path.of(args[0]);
    String text = Files.readString(file, StandardCharsets.UTF_8);
    Files.writeString(file, replaceTable(text, markdownTable(RunnelConfig.CONFIG)));
  }

  /** One row per setting, by importance then name, as Kafka's own reference orders them. */
  public static String markdownTable(ConfigDef def) {
    StringBuilder out = new StringBuilder();
    out.append("| Key | Description | Type | Default | Valid values | Importance |\n");
    out.append("|---|---|---|---|---|---|\n");
    List<ConfigKey> keys =
        def.configKeys().values().stream()
            .sorted(
                Comparator.comparing((ConfigKey key) -> key.importance)
                    .thenComparing(key -> key.name))
            .toList();
    for (ConfigKey key : keys) {
      out.append("| `")
          .append(key.name)
          .append("` | ")
          .append(cell(key.documentation))
          .append(" | ")
          .append(key.type.name().toLowerCase(java.util.Locale.ROOT))
          .append(" | ")
          .append(defaultValue(key))
          .append(" | ")
          .append(key.validator == null ? "" : cell(key.validator.toString()))
          .append(" | ")
          .append(key.importance.name().toLowerCase(java.util.Locale.ROOT))
          .append(" |\n");
    }
    return out.toString();
  }

  /**
   * {@code text} with the table between the markers replaced.
   *
   * @throws IllegalArgumentException when the markers are missing
   */
  public static String replaceTable(String text, String table) {
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("No " + START + " ... " + END + " section found");
    }
    return text.substring(0, start + START.length()) + "\n" + table + text.substring(end);
  }

  /** The table currently between the markers. */
  public static String currentTable(String text) {
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("No " + START + " ... " + END + " section found");
    }
    return text.substring(start + START.length() + 1, end);
  }

  private static String defaultValue(ConfigKey key) {
    if (!key.hasDefault()) {
      return "(required)";
    }
    String value = ConfigDef.convertToString(key.defaultValue, key.type);
    return value == null || value.isEmpty() ? "\"\"" : "`" + value + "`";
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
