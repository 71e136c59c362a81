package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Never ask the model twice": an instance in its own JVM runs an application of three model calls
 * ({@link ThreeStepProvider}) and is killed with SIGKILL after steps 1 and 2 were committed, while
 * step 3 streams. The next instance resumes every run at step 3: the simulator's recorded requests
 * show steps 1 and 2 asked once, and step 3 twice (the killed call and its restart).
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ApplicationCrashTest {
  private static final int SESSIONS = 4;

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
  void aRunKilledBetweenStepsResumesAtTheStepThatHadNotFinished(TestInfo info) throws Exception {
    String id = ItEnvironment.uniqueId(info);
    Map<String, Object> crashing =
        env.settings(id, Files.createDirectories(dir.resolve("a")), RunnelConfig.LANE_IMMEDIATE);
    crashing.put(RunnelConfig.ACTIONS_CONFIG, ThreeStepProvider.class.getName());
    Topics topics = Topics.from(new RunnelConfig(crashing));
    List<String> sessions = IntStream.range(0, SESSIONS).mapToObj(i -> "s" + i).toList();

    try (ChildInstance child = ChildInstance.start(crashing, dir, "instance-a")) {
      env.awaitTopics(topics, child::isAlive, child::output);
      try (TopicFollower<Chunk> committed = env.chunks(topics, true);
          TopicFollower<Chunk> uncommitted = env.chunks(topics, false);
          TopicFollower<SessionState> states = env.sessions(topics);
          KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
        for (String session : sessions) {
          ItEnvironment.send(producer, topics, session, session + "-r", "Tell " + session);
        }
        producer.flush();

        // Steps 1 and 2 committed (state version 2) and step 3 streaming, in every session.
        await()
            .atMost(Duration.ofSeconds(60))
            .failFast(
                () ->
                    assertThat(child.isAlive())
                        .as(() -> "instance A exited:\n" + child.output())
                        .isTrue())
            .until(
                () ->
                    Replies.latest(states.values()).values().stream()
                                .filter(s -> s.getVersion() == 2)
                                .count()
                            == SESSIONS
                        && uncommitted.values().stream()
                                .filter(c -> c.getStep() == 2 && !c.getEnd())
                                .map(Chunk::getSessionId)
                                .distinct()
                                .count()
                            == SESSIONS);
        child.kill();
        assertThat(Replies.ends(uncommitted.values())).isEmpty();

        Map<String, Object> next =
            env.settings(
                id, Files.createDirectories(dir.resolve("b")), RunnelConfig.LANE_IMMEDIATE);
        next.put(RunnelConfig.ACTIONS_CONFIG, ThreeStepProvider.class.getName());
        try (Runnel survivor = ItEnvironment.startInstance(next)) {
          await()
              .atMost(Duration.ofSeconds(90))
              .until(() -> Replies.ends(committed.values()).size() == SESSIONS);

          Map<String, Long> asked =
              env.model.requests().stream()
                  .map(RecordedRequest::prompt)
                  .filter(p -> p.contains(": Tell s"))
                  .map(p -> p.replace(ThreeStepProvider.SLOW, ""))
                  .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
          for (String session : sessions) {
            assertThat(asked.get("outline: Tell " + session)).as(session).isEqualTo(1);
            assertThat(asked.get("draft: Tell " + session)).as(session).isEqualTo(1);
            assertThat(asked.get("polish: Tell " + session)).as(session).isEqualTo(2);
          }
          Map<String, List<Chunk>> ends = Replies.ends(committed.values());
          assertThat(ends.values())
              .allSatisfy(
                  e ->
                      assertThat(e)
                          .singleElement()
                          .satisfies(
                              end -> {
                                assertThat(end.getStep()).isEqualTo(2);
                                assertThat(end.getAction()).isEqualTo("polish");
                                assertThat(end.getAttempt()).isEqualTo(2);
                                assertThat(end.getSessionVersion()).isEqualTo(3);
                              }));
          assertThat(Replies.versions(states.values()).values())
              .allSatisfy(v -> assertThat(v).containsExactly(1L, 2L, 3L));
          assertThat(Replies.latest(states.values()).values())
              .allSatisfy(s -> assertThat(s.getLastStatus()).isEqualTo(RequestStatus.COMPLETED));
          // The reply the state keeps is the text of the restarted step's call.
          assertThat(Replies.texts(uncommitted.values()))
              .isEqualTo(Replies.finalTexts(Replies.latest(states.values())));
          assertThat(survivor.replacedThreads()).isZero();
        }
      }
    }
  }
}
