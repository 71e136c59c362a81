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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * 200 prompts over 20 sessions on a real broker under exactly-once, in both delta lanes: what a
 * downstream consumer reads, committed or not, adds up.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ExactlyOnceEndToEndTest {
  private static final int SESSIONS = 20;
  private static final int PROMPTS_PER_SESSION = 10;

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

  @ParameterizedTest(name = "{0} lane")
  @ValueSource(strings = {RunnelConfig.LANE_IMMEDIATE, RunnelConfig.LANE_TRANSACTIONAL})
  void everyReplyStreamsAndEndsExactlyOnce(String lane, TestInfo info) throws Exception {
    Map<String, Object> settings = env.settings(ItEnvironment.uniqueId(info), stateDir, lane);
    Topics topics = Topics.from(new RunnelConfig(settings));
    List<String> sessions =
        IntStream.range(0, SESSIONS).mapToObj(i -> String.format("s%02d", i)).toList();

    try (Runnel app = ItEnvironment.startInstance(settings);
        TopicFollower<Chunk> committed = env.chunks(topics, true);
        TopicFollower<Chunk> uncommitted = env.chunks(topics, false);
        TopicFollower<SessionState> states = env.sessions(topics);
        KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
      List<String> requestIds = new ArrayList<>();
      for (int p = 0; p < PROMPTS_PER_SESSION; p++) {
        for (String session : sessions) {
          String requestId = session + "-p" + p;
          requestIds.add(requestId);
          ItEnvironment.send(
              producer, topics, session, requestId, "Question " + p + " of " + session);
        }
      }
      producer.flush();

      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> committed.count(Chunk::getEnd) >= requestIds.size());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  Replies.latest(states.values()).values().stream()
                          .filter(s -> s.getVersion() == PROMPTS_PER_SESSION)
                          .count()
                      == SESSIONS);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> uncommitted.count(Chunk::getEnd) >= requestIds.size());

      Map<String, SessionState> latest = Replies.latest(states.values());
      Map<String, String> finals = Replies.finalTexts(latest);
      assertThat(finals).containsOnlyKeys(requestIds);

      List<Chunk> committedChunks = committed.values();
      Map<String, List<Chunk>> ends = Replies.ends(committedChunks);
      assertThat(ends).containsOnlyKeys(requestIds);
      assertThat(ends.values()).allSatisfy(e -> assertThat(e).hasSize(1));
      assertThat(Replies.texts(committedChunks)).isEqualTo(finals);
      ends.forEach(
          (id, end) ->
              assertThat(end.get(0).getTextLength()).as(id).isEqualTo(finals.get(id).length()));
      assertThat(Replies.sequences(committedChunks).values())
          .allSatisfy(seqs -> assertThat(seqs).isSorted().doesNotHaveDuplicates());
      assertThat(finals.values()).allSatisfy(text -> assertThat(text).isNotEmpty());

      List<Chunk> uncommittedChunks = uncommitted.values();
      assertThat(Replies.texts(uncommittedChunks)).isEqualTo(finals);
      assertThat(Replies.ends(uncommittedChunks)).containsOnlyKeys(requestIds);

      Map<String, List<Long>> versions = Replies.versions(states.values());
      List<Long> oneToN =
          IntStream.rangeClosed(1, PROMPTS_PER_SESSION).mapToObj(v -> (long) v).toList();
      assertThat(versions).hasSize(SESSIONS);
      assertThat(versions.values()).allSatisfy(v -> assertThat(v).isEqualTo(oneToN));
      Map<String, List<String>> order = Replies.appliedOrder(states.values());
      for (String session : sessions) {
        assertThat(order.get(session))
            .isEqualTo(
                IntStream.range(0, PROMPTS_PER_SESSION).mapToObj(p -> session + "-p" + p).toList());
      }
      assertThat(app.replacedThreads()).isZero();

      // What an operator scrapes from /metrics after the run.
      String scrape = app.scrape();
      assertThat(scrape)
          .contains("runnel_completions_total " + (double) requestIds.size())
          .contains("runnel_model_time_to_first_token_seconds_count " + requestIds.size())
          .contains("runnel_calls_in_flight 0.0")
          .contains("kafka_stream_thread_commit_total");
    }
  }
}
