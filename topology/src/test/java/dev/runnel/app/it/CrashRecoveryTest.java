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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An instance in its own JVM is killed with SIGKILL while 50 replies are streaming; a new instance
 * takes over and every accepted prompt still ends exactly once. Run with the built-in chat (the
 * callback form) and with a chat in the blocking form ({@link BlockingChatProvider}).
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CrashRecoveryTest {
  private static final int SESSIONS = 50;
  // Long enough that all 50 first replies are still streaming when the kill comes.
  private static final String SLOW = " [[sim duration_ms=8000]]";

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

  @ParameterizedTest
  @ValueSource(strings = {"chat", "dev.runnel.app.it.BlockingChatProvider"})
  void aKilledInstancesRequestsEndExactlyOnceOnTheNextOne(String action, TestInfo info)
      throws Exception {
    String id = ItEnvironment.uniqueId(info);
    Map<String, Object> crashing =
        env.settings(id, Files.createDirectories(dir.resolve("a")), RunnelConfig.LANE_IMMEDIATE);
    crashing.put(RunnelConfig.ACTIONS_CONFIG, action);
    Topics topics = Topics.from(new RunnelConfig(crashing));
    List<String> sessions =
        IntStream.range(0, SESSIONS).mapToObj(i -> String.format("s%02d", i)).toList();
    List<String> requestIds = new ArrayList<>();

    try (ChildInstance child = ChildInstance.start(crashing, dir, "instance-a")) {
      // The child creates the topics; follow them once they exist.
      env.awaitTopics(topics, child::isAlive, child::output);
      try (TopicFollower<Chunk> committed = env.chunks(topics, true);
          TopicFollower<Chunk> uncommitted = env.chunks(topics, false);
          TopicFollower<SessionState> states = env.sessions(topics);
          KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
        for (int p = 0; p < 2; p++) {
          for (String session : sessions) {
            String requestId = session + "-p" + p;
            requestIds.add(requestId);
            ItEnvironment.send(producer, topics, session, requestId, "Prompt " + p + SLOW);
          }
        }
        producer.flush();

        await()
            .atMost(Duration.ofSeconds(90))
            .failFast(
                () ->
                    assertThat(child.isAlive())
                        .as(() -> "instance A exited:\n" + child.output())
                        .isTrue())
            .until(() -> Replies.open(uncommitted.values()).size() >= SESSIONS);
        child.kill();
        Set<String> openAtKill = Replies.open(uncommitted.values());
        assertThat(openAtKill).hasSize(SESSIONS);

        Map<String, Object> next =
            env.settings(
                id, Files.createDirectories(dir.resolve("b")), RunnelConfig.LANE_IMMEDIATE);
        next.put(RunnelConfig.ACTIONS_CONFIG, action);
        try (Runnel survivor = ItEnvironment.startInstance(next)) {
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

          Map<String, List<Chunk>> ends = Replies.ends(committed.values());
          assertThat(ends).containsOnlyKeys(requestIds);
          assertThat(ends.values()).allSatisfy(e -> assertThat(e).hasSize(1));
          // The followers lag the broker, so a request seen open at the kill may have been
          // finished by instance A just before it died: then it ends once, as attempt 1, with no
          // attempt 2. Every other one was restarted by the survivor, as attempt 2.
          Set<String> restarted =
              uncommitted.values().stream()
                  .filter(c -> c.getAttempt() == 2)
                  .map(Chunk::getRequestId)
                  .collect(Collectors.toSet());
          for (String request : openAtKill) {
            int attempt = ends.get(request).get(0).getAttempt();
            assertThat(attempt).as(request).isEqualTo(restarted.contains(request) ? 2 : 1);
          }
          assertThat(restarted)
              .as("requests the survivor restarted")
              .hasSizeGreaterThanOrEqualTo(SESSIONS / 2);
          Map<String, String> finals = Replies.finalTexts(Replies.latest(states.values()));
          assertThat(finals).containsOnlyKeys(requestIds);
          assertThat(Replies.texts(uncommitted.values())).isEqualTo(finals);
          assertThat(Replies.versions(states.values()).values())
              .allSatisfy(v -> assertThat(v).containsExactly(1L, 2L));
          Map<String, List<String>> order = Replies.appliedOrder(states.values());
          for (String session : sessions) {
            assertThat(order.get(session)).containsExactly(session + "-p0", session + "-p1");
          }
          assertThat(survivor.replacedThreads()).isZero();
        }
      }
    }
  }
}
