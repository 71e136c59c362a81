package dev.runnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The way docs/actions.md tests an action, with public API only: a blocking action on
 * TopologyTestDriver in the transactional lane.
 */
class DocumentedActionTestTest {
  static final StateKey<Integer> WORDS = StateKey.of("words", Integer.class);

  @TempDir Path stateDir;

  /** Streams the prompt word by word and counts its words. */
  static final class Words implements BlockingAction {
    @Override
    public ActionSpec spec() {
      return new ActionSpec("words", Set.of(), Set.of("words"));
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials) {
      String[] words = input.prompt().split(" ");
      for (String word : words) {
        partials.emit(word + " ");
      }
      return Final.of(StateUpdate.builder().set(WORDS, words.length).build());
    }
  }

  @Test
  void aBlockingActionStreamsItsPartialsAndAppliesItsTypedField() {
    RunnelConfig config =
        new RunnelConfig(Map.of(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_TRANSACTIONAL));
    Topics topics = Topics.from(config);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "my-action-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    StreamingAction action = StreamingAction.blocking(new Words(), 2);
    try (action;
        TopologyTestDriver driver =
            new TopologyTestDriver(RunnelTopology.build(config, action, Optional.empty()), props)) {
      TestInputTopic<String, Prompt> prompts =
          driver.createInputTopic(
              topics.prompts().name(),
              topics.prompts().keySerde().serializer(),
              topics.prompts().valueSerde().serializer());
      TestOutputTopic<String, Chunk> chunks =
          driver.createOutputTopic(
              topics.chunks().name(),
              topics.chunks().keySerde().deserializer(),
              topics.chunks().valueSerde().deserializer());
      TestOutputTopic<String, SessionState> sessions =
          driver.createOutputTopic(
              topics.sessions().name(),
              topics.sessions().keySerde().deserializer(),
              topics.sessions().valueSerde().deserializer());
      prompts.pipeInput("alice", Prompt.newBuilder().setContent("one two three").build());
      List<Chunk> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                driver.advanceWallClockTime(Duration.ofMillis(10));
                seen.addAll(chunks.readValuesToList());
                return seen.stream().anyMatch(Chunk::getEnd);
              });

      assertThat(
              seen.stream()
                  .filter(c -> !c.getEnd())
                  .map(Chunk::getDelta)
                  .collect(Collectors.joining()))
          .isEqualTo("one two three ");
      assertThat(sessions.readValuesToList())
          .singleElement()
          .satisfies(s -> assertThat(s.getJsonFields()).containsEntry("words", "3"));
    }
  }
}
