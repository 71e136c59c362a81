package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One session fed by a Java producer (murmur2, Kafka's default) and by a producer placing keys as
 * librdkafka does by default (consistent_random: CRC32 of the key modulo the partition count, as
 * Python, Go and C clients and kcat do): one conversation, in one place.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MixedPartitionerTest {
  private static final int PARTITIONS = 4;

  private static ItEnvironment env;

  @TempDir Path stateDir;

  @BeforeAll
  static void start() {
    env = ItEnvironment.start();
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  /** librdkafka's consistent partitioner: {@code rd_crc32(key) % partition_cnt}. */
  public static final class Crc32Partitioner implements Partitioner {
    static int partitionOf(byte[] key, int partitions) {
      CRC32 crc = new CRC32();
      crc.update(key);
      return (int) (crc.getValue() % partitions);
    }

    @Override
    public int partition(
        String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster c) {
      return partitionOf(keyBytes, c.partitionCountForTopic(topic));
    }

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public void close() {}
  }

  @Test
  void aSessionFedByMurmur2AndCrc32ProducersIsOneConversation(TestInfo info) {
    Map<String, Object> settings =
        env.settings(ItEnvironment.uniqueId(info), stateDir, RunnelConfig.LANE_IMMEDIATE);
    Topics topics = Topics.from(new RunnelConfig(settings));
    String session = splitSession();
    int home = Utils.toPositive(Utils.murmur2(bytes(session))) % PARTITIONS;

    try (Runnel app = ItEnvironment.startInstance(settings);
        KafkaProducer<String, Prompt> java = env.promptProducer(topics);
        KafkaProducer<String, Prompt> crc =
            crcProducer(topics.prompts().valueSerde().serializer());
        KafkaProducer<String, Cancellation> crcCancel =
            crcProducer(topics.cancellations().valueSerde().serializer());
        TopicFollower<Chunk> chunks = env.chunks(topics, true);
        TopicFollower<SessionState> states = env.sessions(topics)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == State.RUNNING);

      ItEnvironment.send(java, topics, session, "p1", "first, from Java");
      java.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> versions(states, session).size() == 1);
      crc.send(
          new ProducerRecord<>(
              topics.prompts().name(),
              session,
              Prompt.newBuilder()
                  .setRequestId("p2")
                  .setContent("second, from librdkafka")
                  .build()));
      crc.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> versions(states, session).size() == 2);

      // A cancellation from the CRC32 producer reaches the call its prompt started.
      crc.send(
          new ProducerRecord<>(
              topics.prompts().name(),
              session,
              Prompt.newBuilder()
                  .setRequestId("p3")
                  .setContent("a long one [[sim duration_ms=60000 tokens=100]]")
                  .build()));
      crc.flush();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> chunks.values().stream().anyMatch(c -> c.getRequestId().equals("p3")));
      crcCancel.send(
          new ProducerRecord<>(
              topics.cancellations().name(), session, new Cancellation("p3", "enough")));
      crcCancel.flush();
      await().atMost(Duration.ofSeconds(60)).until(() -> versions(states, session).size() == 3);

      assertThat(versions(states, session)).containsExactly(1L, 2L, 3L);
      List<SessionState> ofSession =
          states.values().stream().filter(s -> s.getSessionId().equals(session)).toList();
      assertThat(ofSession.get(1).getMessages())
          .extracting(Message::getContent)
          .hasSize(4)
          .startsWith("first, from Java")
          .contains("second, from librdkafka");
      assertThat(ofSession.get(2).getLastStatus()).isEqualTo(RequestStatus.CANCELLED);
      assertThat(Replies.ends(chunks.values()).get("p3"))
          .extracting(Chunk::getFinishReason)
          .containsExactly(FinishReason.CANCELLED);
      assertThat(states.records())
          .filteredOn(r -> r.key().equals(session))
          .extracting(TopicFollower.Received::partition)
          .containsOnly(home);
      assertThat(chunks.records())
          .filteredOn(r -> r.key().equals(session))
          .extracting(TopicFollower.Received::partition)
          .containsOnly(home);
      assertThat(app.replacedThreads()).isZero();
    }
  }

  /** A session id that librdkafka and the Java client place on different partitions. */
  private static String splitSession() {
    for (int i = 0; ; i++) {
      String session = "mixed-" + i;
      byte[] key = bytes(session);
      if (Crc32Partitioner.partitionOf(key, PARTITIONS)
          != Utils.toPositive(Utils.murmur2(key)) % PARTITIONS) {
        return session;
      }
    }
  }

  private static List<Long> versions(TopicFollower<SessionState> states, String session) {
    return Replies.versions(states.values()).getOrDefault(session, List.of());
  }

  private static <V> KafkaProducer<String, V> crcProducer(Serializer<V> values) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            env.kafka.bootstrapServers(),
            ProducerConfig.PARTITIONER_CLASS_CONFIG,
            Crc32Partitioner.class.getName()),
        new org.apache.kafka.common.serialization.StringSerializer(),
        values);
  }

  private static byte[] bytes(String session) {
    return session.getBytes(StandardCharsets.UTF_8);
  }
}
