package dev.runnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.config.RunnelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void environmentOverridesTheFile() throws Exception {
    Path file = dir.resolve("runnel.properties");
    Files.writeString(
        file,
        "runnel.topic.prompts=from-file\nrunnel.topic.chunks=chunks-from-file\n"
            + "bootstrap.servers=file:9092\n");

    RunnelConfig config =
        ConfigLoader.load(
            Optional.of(file),
            Map.of(
                "RUNNEL_TOPIC_PROMPTS", "from-env",
                "KAFKA_BOOTSTRAP_SERVERS", "env:9092",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "PATH", "/usr/bin"));

    assertThat(config.getString(RunnelConfig.PROMPTS_TOPIC_CONFIG)).isEqualTo("from-env");
    assertThat(config.getString(RunnelConfig.CHUNKS_TOPIC_CONFIG)).isEqualTo("chunks-from-file");
    assertThat(config.kafkaClientProperties())
        .containsEntry("bootstrap.servers", "env:9092")
        .containsEntry("sasl.mechanism", "PLAIN")
        .doesNotContainKeys("path", RunnelConfig.PROMPTS_TOPIC_CONFIG);
  }

  @Test
  void onlyDefinedRunnelSettingsAndKafkaClientSettingsAreTaken() {
    Map<String, Object> settings =
        ConfigLoader.settings(
            Optional.empty(),
            Map.of(
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "KAFKA_OPTS", "-Dx=y",
                "RUNNEL_CONFIG_FILE", "f",
                "RUNNEL_MODEL_API_KEY", "sk-secret"));

    assertThat(settings).isEmpty();
  }

  @Test
  void theFileComesFromTheFirstArgumentElseTheEnvironment() {
    assertThat(ConfigLoader.configFile(new String[] {"a.properties"}, Map.of()))
        .contains(Path.of("a.properties"));
    assertThat(
            ConfigLoader.configFile(
                new String[0], Map.of(ConfigLoader.CONFIG_FILE_ENV, "b.properties")))
        .contains(Path.of("b.properties"));
    assertThat(ConfigLoader.configFile(new String[0], Map.of())).isEmpty();
  }

  @Test
  void aBadValueFailsNamingTheKey() {
    assertThatThrownBy(
            () -> ConfigLoader.load(Optional.empty(), Map.of("RUNNEL_TOPIC_PARTITIONS", "zero")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.TOPIC_PARTITIONS_CONFIG)
        .hasMessageContaining("zero");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(Optional.empty(), Map.of("RUNNEL_TOPIC_REPLICATION_FACTOR", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.TOPIC_REPLICATION_FACTOR_CONFIG);
  }

  @Test
  void anUnreadableFileFailsNamingIt() {
    Path missing = dir.resolve("missing.properties");

    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(missing), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("missing.properties");
  }
}
