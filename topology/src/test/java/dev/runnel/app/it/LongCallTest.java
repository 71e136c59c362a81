package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replies that take 30 s each, three times Kafka Streams' exactly-once transaction timeout (10 s),
 * in the transactional lane: no producer is fenced, no rebalance happens, and tokens are visible to
 * read_committed consumers while the replies are still running.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LongCallTest {
  private static final int REPLIES = 20;
  private static final Duration REPLY_DURATION = Duration.ofSeconds(30);

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

  @Test
  void repliesLongerThanTheTransactionTimeoutStreamAndCompleteOnce(TestInfo info) throws Exception {
    Map<String, Object> settings =
        env.settings(ItEnvironment.uniqueId(info), stateDir, RunnelConfig.LANE_TRANSACTIONAL);
    Topics topics = Topics.from(new RunnelConfig(settings));
    List<String> requestIds = new ArrayList<>();

    try (Runnel app = ItEnvironment.startInstance(settings);
        TopicFollower<Chunk> committed = env.chunks(topics, true);
        TopicFollower<SessionState> states = env.sessions(topics);
        KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == State.RUNNING);
      for (int i = 0; i < REPLIES; i++) {
        String session = String.format("long%02d", i);
        requestIds.add(session + "-p0");
        ItEnvironment.send(
            producer,
            topics,
            session,
            session + "-p0",
            "Tell me a long story [[sim duration_ms=" + REPLY_DURATION.toMillis() + " tokens=60]]");
      }
      producer.flush();

      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> Replies.ends(committed.values()).keySet().containsAll(requestIds));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Replies.latest(states.values()).size() == REPLIES);

      Map<String, List<Chunk>> ends = Replies.ends(committed.values());
      assertThat(ends).containsOnlyKeys(requestIds);
      assertThat(ends.values())
          .allSatisfy(
              e -> {
                assertThat(e).hasSize(1);
                assertThat(e.get(0).getAttempt()).as("never restarted").isEqualTo(1);
                assertThat(e.get(0).getError()).isNull();
              });
      assertThat(Replies.texts(committed.values()))
          .isEqualTo(Replies.finalTexts(Replies.latest(states.values())));

      // Each reply's first tokens reached read_committed consumers long before its end did.
      Map<String, Instant> firstDelta = new HashMap<>();
      Map<String, Instant> end = new HashMap<>();
      for (TopicFollower.Received<Chunk> r : committed.records()) {
        String id = r.value().getRequestId();
        if (r.value().getEnd()) {
          end.put(id, r.receivedAt());
        } else {
          firstDelta.putIfAbsent(id, r.receivedAt());
        }
      }
      for (String id : requestIds) {
        assertThat(Duration.between(firstDelta.get(id), end.get(id)))
            .as("time between %s's first visible token and its end", id)
            .isGreaterThan(REPLY_DURATION.dividedBy(2));
      }

      // No fencing and no poll-interval rebalance: Streams never left RUNNING, no thread died.
      List<State> history = app.stateHistory();
      assertThat(history.subList(history.indexOf(State.RUNNING) + 1, history.size())).isEmpty();
      assertThat(app.replacedThreads()).isZero();
    }
  }
}
