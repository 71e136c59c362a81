package dev.runnel.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.config.RunnelConfig;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.RegistryAvroSerde;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TopicsSerdeModeTest {

  @Test
  void withoutRegistryUrlEveryTopicUsesRegistryLessEncoding() {
    Topics topics = Topics.from(new RunnelConfig(Map.of()));

    assertThat(
            List.of(
                topics.prompts().valueSerde(),
                topics.cancellations().valueSerde(),
                topics.chunks().valueSerde(),
                topics.sessions().valueSerde(),
                topics.deadLetters().valueSerde()))
        .allMatch(AvroSerde.class::isInstance);
  }

  @Test
  void withRegistryUrlEveryTopicUsesTheRegistryWireFormat() {
    Topics topics =
        Topics.from(
            new RunnelConfig(
                Map.of(RunnelConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://registry:8081")));

    assertThat(
            List.of(
                topics.prompts().valueSerde(),
                topics.cancellations().valueSerde(),
                topics.chunks().valueSerde(),
                topics.sessions().valueSerde(),
                topics.deadLetters().valueSerde()))
        .allMatch(RegistryAvroSerde.class::isInstance);
  }

  @Test
  void aMalformedRegistryUrlIsAConfigErrorNamingTheKey() {
    RunnelConfig config =
        new RunnelConfig(Map.of(RunnelConfig.SCHEMA_REGISTRY_URL_CONFIG, "registry:8081"));

    assertThatThrownBy(() -> Topics.from(config))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.SCHEMA_REGISTRY_URL_CONFIG)
        .hasMessageContaining("registry:8081");
  }

  @Test
  void registryPasswordIsHiddenInTheConfigsToString() {
    RunnelConfig config =
        new RunnelConfig(
            Map.of(
                RunnelConfig.SCHEMA_REGISTRY_URL_CONFIG,
                "http://registry:8081",
                RunnelConfig.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG,
                "runnel:s3cret"));

    assertThat(config.values().toString()).doesNotContain("s3cret");
  }
}
