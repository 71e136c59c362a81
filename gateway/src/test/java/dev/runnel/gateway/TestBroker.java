package dev.runnel.gateway;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** A single-node KRaft broker in the test JVM (Kafka's own test kit). */
final class TestBroker implements AutoCloseable {
  private final KafkaClusterTestKit kafka;

  private TestBroker(KafkaClusterTestKit kafka) {
    this.kafka = kafka;
  }

  static TestBroker start() throws Exception {
    KafkaClusterTestKit kafka =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("auto.create.topics.enable", "false")
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("offsets.topic.num.partitions", "4")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("transaction.state.log.num.partitions", "4")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
    return new TestBroker(kafka);
  }

  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** Creates Runnel's five topics named {@code <prefix>.<name>}. */
  void createTopics(String prefix, int partitions) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    try (Admin admin = Admin.create(props)) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(prefix + ".prompts", partitions, (short) 1),
                  new NewTopic(prefix + ".cancellations", partitions, (short) 1),
                  new NewTopic(prefix + ".chunks", partitions, (short) 1),
                  new NewTopic(prefix + ".sessions", partitions, (short) 1)
                      .configs(
                          Map.of(
                              TopicConfig.CLEANUP_POLICY_CONFIG,
                              TopicConfig.CLEANUP_POLICY_COMPACT)),
                  new NewTopic(prefix + ".dead-letters", partitions, (short) 1),
                  new NewTopic(prefix + ".tool-calls", partitions, (short) 1),
                  new NewTopic(prefix + ".tool-results", partitions, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() {
    try {
      kafka.close();
    } catch (Exception e) {
      throw new IllegalStateException("Stopping the test broker failed", e);
    }
  }
}
