package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.app.internal.TopicProvisioner;
import dev.runnel.config.RunnelConfig;
import dev.runnel.topics.Topics;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

@Tag("integration")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TopicProvisioningTest {
  private static EmbeddedKafka kafka;
  private static Admin admin;

  @BeforeAll
  static void startBroker() {
    kafka = EmbeddedKafka.start();
    admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
  }

  @AfterAll
  static void stopBroker() {
    admin.close();
    kafka.close();
  }

  @Test
  void createsMissingTopicsWithCompactedSessions(TestInfo info) throws Exception {
    RunnelConfig config = config(info, Map.of(RunnelConfig.TOPIC_PARTITIONS_CONFIG, "3"));
    Topics topics = Topics.from(config);

    new TopicProvisioner(admin, config, topics).ensureTopics();

    var descriptions =
        admin
            .describeTopics(
                List.of(
                    topics.prompts().name(),
                    topics.cancellations().name(),
                    topics.chunks().name(),
                    topics.sessions().name(),
                    topics.deadLetters().name()))
            .allTopicNames()
            .get();
    assertThat(descriptions.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(3));
    ConfigResource sessions =
        new ConfigResource(ConfigResource.Type.TOPIC, topics.sessions().name());
    Config sessionsConfig = admin.describeConfigs(List.of(sessions)).all().get().get(sessions);
    assertThat(sessionsConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo("compact");
    assertThat(sessionsConfig.get(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG).value())
        .isEqualTo("60000");
  }

  @Test
  void runningTwiceKeepsTheTopics(TestInfo info) {
    RunnelConfig config = config(info, Map.of());
    Topics topics = Topics.from(config);
    new TopicProvisioner(admin, config, topics).ensureTopics();

    new TopicProvisioner(admin, config, topics).ensureTopics();
  }

  @Test
  void refusesASessionsTopicThatIsNotCompacted(TestInfo info) throws Exception {
    RunnelConfig config = config(info, Map.of());
    Topics topics = Topics.from(config);
    admin
        .createTopics(
            List.of(new NewTopic(topics.sessions().name(), Optional.of(1), Optional.empty())))
        .all()
        .get();

    assertThatThrownBy(() -> new TopicProvisioner(admin, config, topics).ensureTopics())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(topics.sessions().name())
        .hasMessageContaining("cleanup.policy=delete");
  }

  @Test
  void refusesInputTopicsWithDifferentPartitionCounts(TestInfo info) throws Exception {
    RunnelConfig config = config(info, Map.of(RunnelConfig.TOPIC_PARTITIONS_CONFIG, "2"));
    Topics topics = Topics.from(config);
    admin
        .createTopics(
            List.of(new NewTopic(topics.prompts().name(), Optional.of(4), Optional.empty())))
        .all()
        .get();

    assertThatThrownBy(() -> new TopicProvisioner(admin, config, topics).ensureTopics())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(topics.prompts().name() + " (4 partitions)")
        .hasMessageContaining(topics.cancellations().name() + " (2 partitions)");
  }

  @Test
  void failsOnMissingTopicsWhenCreationIsOff(TestInfo info) {
    RunnelConfig config = config(info, Map.of(RunnelConfig.TOPIC_CREATE_CONFIG, "false"));

    assertThatThrownBy(
            () -> new TopicProvisioner(admin, config, Topics.from(config)).ensureTopics())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Missing topics")
        .hasMessageContaining(RunnelConfig.TOPIC_CREATE_CONFIG + "=false");
  }

  private static RunnelConfig config(TestInfo info, Map<String, String> extra) {
    String prefix = info.getTestMethod().orElseThrow().getName() + ".";
    Map<String, String> props = new java.util.HashMap<>(extra);
    props.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, prefix + "prompts");
    props.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, prefix + "cancellations");
    props.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, prefix + "chunks");
    props.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, prefix + "sessions");
    props.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, prefix + "dead-letters");
    return new RunnelConfig(props);
  }
}
