package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.app.ActionProvider;
import dev.runnel.app.FrontEnd;
import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A user's own action on a real broker, started with the public builder or named by a setting. */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RunnelBuilderTest {
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

  /** Streams the prompt in upper case, word by word, and counts its words into the state. */
  static final class Shouting implements BlockingAction {
    static final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public ActionSpec spec() {
      return new ActionSpec("shout", Set.of(), Set.of("words"));
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials) {
      String[] words = input.prompt().split(" ");
      for (String word : words) {
        partials.emit(word.toUpperCase(Locale.ROOT) + " ");
      }
      return Final.of(StateUpdate.builder().put("words", String.valueOf(words.length)).build());
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  /** How {@code runnel.actions} deploys the action without a main of its own. */
  public static final class ShoutingProvider implements ActionProvider {
    @Override
    public String name() {
      return "shout";
    }

    @Override
    public StreamingAction create(RunnelConfig config) {
      return StreamingAction.blocking(new Shouting(), 4);
    }
  }

  /** A front end that remembers the settings it was started with. */
  static final class RecordingFrontEnd implements FrontEnd.Factory {
    final AtomicReference<RunnelConfig> config = new AtomicReference<>();
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public FrontEnd start(RunnelConfig given) {
      config.set(given);
      return new FrontEnd() {
        @Override
        public String url() {
          return "http://127.0.0.1:1/";
        }

        @Override
        public void close() {
          closed.set(true);
        }
      };
    }
  }

  private String replyOf(Runnel runnel, Topics topics, String session, String prompt)
      throws Exception {
    try (TopicFollower<Chunk> chunks = env.chunks(topics, true);
        TopicFollower<SessionState> states = env.sessions(topics);
        KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
      ItEnvironment.send(producer, topics, session, "r1", prompt);
      producer.flush();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> !states.values().isEmpty() && chunks.count(Chunk::getEnd) == 1);
      assertThat(states.values().get(0).getFields()).containsEntry("words", "2");
      return Replies.texts(chunks.values()).get("r1");
    }
  }

  @Test
  void theBuilderHostsTheActionStartsTheFrontEndAndClosesBoth(TestInfo info) throws Exception {
    Map<String, Object> settings =
        env.settings(ItEnvironment.uniqueId(info), stateDir, RunnelConfig.LANE_IMMEDIATE);
    RunnelConfig config = new RunnelConfig(settings);
    RecordingFrontEnd frontEnd = new RecordingFrontEnd();
    Shouting.closed.set(false);

    try (Runnel runnel =
        Runnel.builder(config)
            .action(StreamingAction.blocking(new Shouting(), 4))
            .frontEnd(frontEnd)
            .start()) {
      assertThat(replyOf(runnel, Topics.from(config), "alice", "hello there"))
          .isEqualTo("HELLO THERE ");
      assertThat(runnel.frontEnds())
          .extracting(FrontEnd::url)
          .containsExactly("http://127.0.0.1:1/");
      RunnelConfig given = frontEnd.config.get();
      assertThat(given.originals())
          .containsEntry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env.kafka.bootstrapServers())
          .doesNotContainKey(StreamsConfig.APPLICATION_ID_CONFIG)
          .doesNotContainKey(StreamsConfig.STATE_DIR_CONFIG);
      assertThat(given.getList(RunnelConfig.GATEWAY_QUERY_URLS_CONFIG))
          .containsExactly("http://127.0.0.1:" + runnel.queryAddress().orElseThrow().getPort());
    }
    assertThat(frontEnd.closed).isTrue();
    assertThat(Shouting.closed).isTrue();
  }

  @Test
  void theSettingDeploysAProviderByItsClassName(TestInfo info) throws Exception {
    Map<String, Object> settings =
        env.settings(ItEnvironment.uniqueId(info), stateDir, RunnelConfig.LANE_TRANSACTIONAL);
    settings.put(RunnelConfig.ACTIONS_CONFIG, ShoutingProvider.class.getName());
    RunnelConfig config = new RunnelConfig(settings);

    try (Runnel runnel = Runnel.builder(config).start()) {
      assertThat(replyOf(runnel, Topics.from(config), "bob", "good morning"))
          .isEqualTo("GOOD MORNING ");
    }
  }
}
