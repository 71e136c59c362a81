package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two instances share the partitions; one is killed; the other finishes everything. */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ScaleOutTest {
  private static final int SESSIONS = 30;
  private static final int PARTITIONS = 4;
  private static final String SLOW = " [[sim duration_ms=4000]]";

  private static ItEnvironment env;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    env = ItEnvironment.start();
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void theSurvivorFinishesTheKilledInstancesWork(TestInfo info) throws Exception {
    String id = ItEnvironment.uniqueId(info);
    Map<String, Object> first =
        env.settings(id, Files.createDirectories(dir.resolve("a")), RunnelConfig.LANE_IMMEDIATE);
    Map<String, Object> second =
        env.settings(id, Files.createDirectories(dir.resolve("b")), RunnelConfig.LANE_IMMEDIATE);
    Topics topics = Topics.from(new RunnelConfig(first));
    List<String> sessions =
        IntStream.range(0, SESSIONS).mapToObj(i -> String.format("s%02d", i)).toList();
    List<String> requestIds = new ArrayList<>();

    try (ChildInstance killed = ChildInstance.start(first, dir, "instance-a")) {
      env.awaitTopics(topics, killed::isAlive, killed::output);
      try (Runnel survivor = ItEnvironment.startInstance(second);
          TopicFollower<Chunk> committed = env.chunks(topics, true);
          TopicFollower<Chunk> uncommitted = env.chunks(topics, false);
          TopicFollower<SessionState> states = env.sessions(topics);
          KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    survivor.streams().state() == KafkaStreams.State.RUNNING
                        && ownedPartitions(survivor).size() > 0
                        && ownedPartitions(survivor).size() < PARTITIONS);

        for (int p = 0; p < 2; p++) {
          for (String session : sessions) {
            String requestId = session + "-p" + p;
            requestIds.add(requestId);
            ItEnvironment.send(producer, topics, session, requestId, "Prompt " + p + SLOW);
          }
        }
        producer.flush();
        Set<Integer> survivorPartitions = ownedPartitions(survivor);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    uncommitted.records().stream()
                        .anyMatch(r -> !survivorPartitions.contains(r.partition())));
        killed.kill();
        Set<Integer> killedInstancePartitions =
            uncommitted.records().stream()
                .map(TopicFollower.Received::partition)
                .filter(p -> !survivorPartitions.contains(p))
                .collect(Collectors.toSet());
        assertThat(killedInstancePartitions).as("partitions instance A was serving").isNotEmpty();

        await()
            .atMost(Duration.ofMinutes(2))
            .until(() -> Replies.ends(committed.values()).keySet().containsAll(requestIds));
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    Replies.latest(states.values()).values().stream()
                            .filter(s -> s.getVersion() == 2)
                            .count()
                        == SESSIONS);

        assertThat(ownedPartitions(survivor)).hasSize(PARTITIONS);
        Map<String, List<Chunk>> ends = Replies.ends(committed.values());
        assertThat(ends).containsOnlyKeys(requestIds);
        assertThat(ends.values()).allSatisfy(e -> assertThat(e).hasSize(1));
        Map<String, String> finals = Replies.finalTexts(Replies.latest(states.values()));
        assertThat(Replies.texts(uncommitted.values())).isEqualTo(finals);
        Map<String, List<String>> order = Replies.appliedOrder(states.values());
        for (String session : sessions) {
          assertThat(order.get(session)).containsExactly(session + "-p0", session + "-p1");
        }
      }
    }
  }

  private static Set<Integer> ownedPartitions(Runnel app) {
    return app.streams().metadataForLocalThreads().stream()
        .flatMap(t -> t.activeTasks().stream())
        .map(TaskMetadata::taskId)
        .map(task -> task.partition())
        .collect(Collectors.toSet());
  }
}
