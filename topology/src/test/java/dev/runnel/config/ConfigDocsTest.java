package dev.runnel.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ConfigDocsTest {
  private static final String REGENERATE =
      "The configuration reference is stale; regenerate it with: mvn -q -B -pl topology -am package"
          + " -Dmaven.test.skip=true && java -cp"
          + " 'topology/target/runnel-topology-0.1.0-SNAPSHOT.jar:topology/target/lib/*'"
          + " dev.runnel.config.ConfigDocs ";

  @Test
  void readmeReferenceMatchesTheConfigDefinition() throws Exception {
    // Surefire runs in the module folder; the README lives at the repository root.
    List<Path> readmes =
        Stream.of("README.md")
            .map(name -> Path.of("..", name))
            .filter(Files::exists)
            .filter(path -> read(path).contains(ConfigDocs.START))
            .toList();
    assertThat(readmes).as("a README with the configuration reference markers").isNotEmpty();

    String generated = ConfigDocs.markdownTable(RunnelConfig.CONFIG);
    for (Path readme : readmes) {
      assertThat(ConfigDocs.currentTable(read(readme)))
          .as(REGENERATE + readme.getFileName())
          .isEqualTo(generated);
    }
  }

  @Test
  void everySettingHasARow() {
    String table = ConfigDocs.markdownTable(RunnelConfig.CONFIG);

    assertThat(RunnelConfig.CONFIG.names())
        .allSatisfy(name -> assertThat(table).contains("| `" + name + "` |"));
  }

  private static String read(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
