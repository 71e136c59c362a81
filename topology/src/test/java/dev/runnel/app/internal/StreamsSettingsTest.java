package dev.runnel.app.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.config.RunnelConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamsSettingsTest {

  @Test
  void exactlyOnceAndLowLatencyByDefault() {
    Map<String, Object> props =
        StreamsSettings.of(new RunnelConfig(Map.of("bootstrap.servers", "b:9092")));

    assertThat(props)
        .containsEntry("processing.guarantee", "exactly_once_v2")
        .containsEntry("application.id", "runnel")
        .containsEntry("commit.interval.ms", 100)
        .containsEntry("poll.ms", 5)
        .containsEntry("producer.linger.ms", 5)
        .containsEntry("replication.factor", -1)
        .containsEntry("bootstrap.servers", "b:9092")
        .doesNotContainKey(RunnelConfig.PROMPTS_TOPIC_CONFIG);
  }

  @Test
  void theUsersKafkaSettingsWin() {
    Map<String, Object> props =
        StreamsSettings.of(
            new RunnelConfig(
                Map.of(
                    "processing.guarantee",
                    "at_least_once",
                    "application.id",
                    "orders-llm",
                    "linger.ms",
                    "20",
                    "security.protocol",
                    "SASL_SSL",
                    "sasl.jaas.config",
                    "secret",
                    RunnelConfig.TOPIC_REPLICATION_FACTOR_CONFIG,
                    "3")));

    assertThat(props)
        .containsEntry("processing.guarantee", "at_least_once")
        .containsEntry("application.id", "orders-llm")
        .containsEntry("linger.ms", "20")
        .doesNotContainKey("producer.linger.ms")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.jaas.config", "secret")
        .containsEntry("replication.factor", 3);
  }
}
