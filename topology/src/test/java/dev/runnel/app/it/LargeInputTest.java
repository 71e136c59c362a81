package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.serde.AvroSerde;
import dev.runnel.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 * Records and conversations at Kafka's real record size limit (1 MB by default, on the broker and
 * on the producer): neither stops a stream thread, and none makes the model answer twice.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LargeInputTest {
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

  /**
   * A prompt of about 1 MB, which the broker accepts, then ordinary prompts on its partition and on
   * every other: a dead letter for the first (cut to fit), finals for the rest, no thread death.
   */
  @Test
  void aPromptOfAboutOneMegabyteGetsADeadLetterAndEveryOtherPromptItsFinal(TestInfo info) {
    Map<String, Object> settings =
        env.settings(ItEnvironment.uniqueId(info), stateDir, RunnelConfig.LANE_IMMEDIATE);
    Topics topics = Topics.from(new RunnelConfig(settings));
    String big = "big";
    List<String> sessions = new ArrayList<>(List.of(big));
    Set<Integer> covered = new HashSet<>(Set.of(partitionOf(big)));
    for (int i = 0; covered.size() < PARTITIONS; i++) {
      if (covered.add(partitionOf("other" + i))) {
        sessions.add("other" + i);
      }
    }

    try (Runnel app = ItEnvironment.startInstance(settings);
        KafkaProducer<String, Prompt> producer = env.promptProducer(topics);
        TopicFollower<Chunk> chunks = env.chunks(topics, true);
        TopicFollower<SessionState> states = env.sessions(topics);
        TopicFollower<DeadLetter> letters = deadLetters(topics)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == State.RUNNING);
      // As large as a producer with the default max.request.size (1048576) may send.
      Prompt huge = promptOfBytes(1_048_400);
      producer.send(new ProducerRecord<>(topics.prompts().name(), big, huge));
      producer.flush();
      List<String> ordinary = new ArrayList<>();
      for (String session : sessions) {
        for (int i = 0; i < 2; i++) {
          ordinary.add(session + "-" + i);
          ItEnvironment.send(producer, topics, session, session + "-" + i, "hello " + i);
        }
      }
      producer.flush();

      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> Replies.ends(chunks.values()).keySet().containsAll(ordinary));
      await().atMost(Duration.ofSeconds(30)).until(() -> !letters.values().isEmpty());

      DeadLetter letter = letters.values().get(0);
      assertThat(letter.getReason()).isEqualTo("PROMPT_TOO_LARGE");
      assertThat(letter.getSessionId()).isEqualTo(big);
      assertThat(letter.getTruncated()).isTrue();
      assertThat(letter.getOriginalValueSize()).isEqualTo(1_048_400);
      assertThat(letter.getValue().remaining()).isLessThan(letter.getOriginalValueSize());
      assertThat(Replies.ends(chunks.values())).containsOnlyKeys(ordinary);
      assertThat(Replies.ends(chunks.values()).values())
          .allSatisfy(e -> assertThat(e).singleElement().matches(c -> c.getError() == null));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Replies.latest(states.values()).size() == sessions.size());
      assertThat(Replies.versions(states.values()))
          .allSatisfy((session, versions) -> assertThat(versions).containsExactly(1L, 2L));
      assertThat(app.replacedThreads()).as("stream threads replaced").isZero();
      assertThat(app.stateHistory()).doesNotContain(State.ERROR);
    }
  }

  /**
   * 32 prompts of 32,000 two-byte characters (within the defaults) would make the conversation 2
   * MB: every prompt is answered by exactly one model call, the states stay under the limit by
   * dropping the oldest messages, the next prompt works, and no stream thread dies.
   */
  @Test
  void aConversationPastOneMegabyteKeepsItsNewestMessagesWithoutACrashLoop(TestInfo info) {
    Map<String, Object> settings =
        env.settings(ItEnvironment.uniqueId(info), stateDir, RunnelConfig.LANE_IMMEDIATE);
    Topics topics = Topics.from(new RunnelConfig(settings));
    String session = "long-" + ItEnvironment.uniqueId(info);
    int before = env.model.requests().size();
    List<String> requestIds = new ArrayList<>();

    try (Runnel app = ItEnvironment.startInstance(settings);
        KafkaProducer<String, Prompt> producer = env.promptProducer(topics);
        TopicFollower<Chunk> chunks = env.chunks(topics, true);
        TopicFollower<SessionState> states = env.sessions(topics)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == State.RUNNING);
      for (int i = 0; i < 32; i++) {
        requestIds.add("p" + i);
        ItEnvironment.send(producer, topics, session, "p" + i, i + "é".repeat(31_990));
      }
      requestIds.add("last");
      ItEnvironment.send(producer, topics, session, "last", "a short one at the end");
      producer.flush();

      await()
          .atMost(Duration.ofMinutes(3))
          .until(() -> Replies.ends(chunks.values()).keySet().containsAll(requestIds));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  Replies.versions(states.values()).getOrDefault(session, List.of()).size() == 33);

      assertThat(Replies.ends(chunks.values()).values())
          .allSatisfy(
              e ->
                  assertThat(e)
                      .singleElement()
                      .matches(c -> c.getError() == null && c.getAttempt() == 1));
      List<String> prompts =
          env.model.requests().subList(before, env.model.requests().size()).stream()
              .map(r -> r.prompt())
              .collect(Collectors.toList());
      assertThat(prompts).as("one model call per request").hasSize(33);
      List<SessionState> ofSession =
          states.values().stream().filter(s -> s.getSessionId().equals(session)).toList();
      assertThat(ofSession)
          .extracting(SessionState::getVersion)
          .containsExactlyElementsOf(
              java.util.stream.LongStream.rangeClosed(1, 33).boxed().toList());
      assertThat(ofSession)
          .allSatisfy(s -> assertThat(s.getLastStatus()).isEqualTo(RequestStatus.COMPLETED));
      SessionState last = ofSession.get(ofSession.size() - 1);
      assertThat(last.getDroppedMessages()).isPositive();
      assertThat(last.getMessages().get(last.getMessages().size() - 2).getContent())
          .isEqualTo("a short one at the end");
      assertThat(app.replacedThreads()).as("stream threads replaced").isZero();
      assertThat(app.stateHistory()).doesNotContain(State.ERROR);
    }
  }

  private static Prompt promptOfBytes(int bytes) {
    AvroSerde<Prompt> serde = AvroSerde.of(Prompt.class);
    int overhead =
        serde.encode(
                    Prompt.newBuilder()
                        .setRequestId("huge")
                        .setContent("h".repeat(bytes / 2))
                        .build())
                .length
            - bytes / 2;
    Prompt prompt =
        Prompt.newBuilder().setRequestId("huge").setContent("h".repeat(bytes - overhead)).build();
    assertThat(serde.encode(prompt)).hasSize(bytes);
    return prompt;
  }

  private static int partitionOf(String session) {
    return Utils.toPositive(Utils.murmur2(session.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  private static TopicFollower<DeadLetter> deadLetters(Topics topics) {
    return new TopicFollower<>(
        env.kafka.bootstrapServers(),
        topics.deadLetters().name(),
        topics.deadLetters().valueSerde().deserializer(),
        true);
  }
}
