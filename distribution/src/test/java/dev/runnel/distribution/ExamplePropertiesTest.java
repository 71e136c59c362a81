package dev.runnel.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.config.RunnelConfig;
import dev.runnel.distribution.internal.ExampleProperties;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ExamplePropertiesTest {
  private static final Path FILE = Path.of("src/main/dist/config/runnel.properties");

  @Test
  void exampleConfigurationListsEverySettingAsRunnelConfigDocumentsIt() throws Exception {
    String committed = Files.readString(FILE, StandardCharsets.UTF_8);

    assertThat(committed)
        .as(
            "%s is generated from RunnelConfig; regenerate it with: mvn -q -B -pl distribution -am"
                + " package -DskipTests && java -cp \"$(ls -d distribution/target/runnel-*/)lib/*\""
                + " dev.runnel.distribution.internal.ExampleProperties"
                + " distribution/src/main/dist/config/runnel.properties",
            FILE)
        .isEqualTo(ExampleProperties.render(RunnelConfig.CONFIG));
    for (String key : RunnelConfig.CONFIG.names()) {
      assertThat(committed).contains("\n#" + key + "=");
    }
  }

  @Test
  void everyKeyIsCommentedOutSoTheExampleGivesTheDefaults() throws Exception {
    assertThat(Files.readAllLines(FILE, StandardCharsets.UTF_8))
        .allMatch(line -> line.isEmpty() || line.startsWith("#"));
  }
}
