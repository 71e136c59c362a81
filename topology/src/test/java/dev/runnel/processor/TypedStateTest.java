package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateKey;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.query.SessionStateJson;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Typed state fields through the real state store and sessions topic. */
class TypedStateTest {
  record Profile(String name, int age) {}

  static final StateKey<Integer> COUNT = StateKey.of("count", Integer.class);
  static final StateKey<List<String>> TAGS = StateKey.of("tags", new TypeReference<>() {});
  static final StateKey<Profile> PROFILE = StateKey.of("profile", Profile.class);
  static final StateKey<String> SUMMARY = StateKey.of("summary", String.class);

  @TempDir Path stateDir;

  private static StreamingAction action(
      Set<String> reads, Set<String> writes, BiConsumer<ActionState, ActionOutput> body) {
    return new StreamingAction() {
      @Override
      public ActionSpec spec() {
        return new ActionSpec("typed", reads, writes);
      }

      @Override
      public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
        body.accept(state, output);
        return () -> {};
      }
    };
  }

  private static ActionResult result(String text) {
    return ActionResult.of(text);
  }

  private Harness harness(StreamingAction action) {
    return new Harness(stateDir, action, Map.of(), new RecordingDeltaPublisher());
  }

  @Test
  void aCounterIncrementedOverThreePromptsReadsThreeAsAnInteger() {
    List<Object> seen = new ArrayList<>();
    StreamingAction counter =
        action(
            Set.of("count"),
            Set.of("count"),
            (state, out) -> {
              Object before = state.get(COUNT).orElse(0);
              seen.add(before);
              out.last(
                  result("counted"),
                  StateUpdate.builder().set(COUNT, (Integer) before + 1).build());
            });
    try (Harness h = harness(counter)) {
      for (String prompt : List.of("one", "two", "three", "four")) {
        h.send("s", prompt);
        h.pump();
      }

      assertThat(seen).containsExactly(0, 1, 2, 3);
      assertThat(seen.get(3)).isInstanceOf(Integer.class);
      SessionState third = h.states("s").get(2);
      assertThat(third.getJsonFields()).containsEntry("count", "3");
      assertThat(SessionStateJson.toJson(third).get("fields").get("count").isInt()).isTrue();
    }
  }

  @Test
  void aListAndAnObjectFieldRoundTrip() {
    List<Object> seen = new ArrayList<>();
    StreamingAction writer =
        action(
            Set.of("tags", "profile"),
            Set.of("tags", "profile"),
            (state, out) -> {
              seen.add(state.get(TAGS));
              seen.add(state.get(PROFILE));
              List<String> tags = new ArrayList<>(state.get(TAGS).orElse(List.of()));
              tags.add("t" + tags.size());
              out.last(
                  result("ok"),
                  StateUpdate.builder()
                      .set(TAGS, tags)
                      .set(PROFILE, new Profile("Ada", 36 + tags.size()))
                      .build());
            });
    try (Harness h = harness(writer)) {
      h.send("s", "one");
      h.pump();
      h.send("s", "two");
      h.pump();

      assertThat(seen.get(2)).isEqualTo(java.util.Optional.of(List.of("t0")));
      assertThat(seen.get(3)).isEqualTo(java.util.Optional.of(new Profile("Ada", 37)));
      SessionState last = h.states("s").get(1);
      var fields = SessionStateJson.toJson(last).get("fields");
      assertThat(fields.get("tags").toString()).isEqualTo("[\"t0\",\"t1\"]");
      assertThat(fields.get("profile").get("age").asInt()).isEqualTo(38);
    }
  }

  @Test
  void aResultValueIsRecordedAsTheLastResultUntilARunGivesNone() {
    StreamingAction scorer =
        action(
            Set.of(),
            Set.of(),
            (state, out) -> {
              if (state.version() == 0) {
                out.last(
                    ActionResult.ofValue(new Profile("Ada", 36)), StateUpdate.builder().build());
              } else {
                out.last(result("no value"), StateUpdate.builder().build());
              }
            });
    try (Harness h = harness(scorer)) {
      h.send("s", "one");
      h.pump();
      h.send("s", "two");
      h.pump();

      List<SessionState> states = h.states("s");
      assertThat(states.get(0).getLastResult()).isEqualTo("{\"name\":\"Ada\",\"age\":36}");
      assertThat(SessionStateJson.toJson(states.get(0)).get("lastResult").get("age").asInt())
          .isEqualTo(36);
      assertThat(states.get(1).getLastResult()).isNull();
      assertThat(SessionStateJson.toJson(states.get(1)).get("lastResult").isNull()).isTrue();
    }
  }

  @Test
  void aResultValueJacksonCannotWriteIsAClearError() {
    Object noProperties = new Object();
    assertThatThrownBy(() -> ActionResult.ofValue(noProperties))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("result value: cannot write java.lang.Object as JSON");
  }

  @Test
  void aValueOfTheWrongTypeIsAClearErrorNamingTheFieldAndTypes() {
    StreamingAction wrong =
        action(
            Set.of("summary"),
            Set.of("summary"),
            (state, out) -> {
              if (state.field("summary").isEmpty()) {
                out.last(result("w"), StateUpdate.builder().put("summary", "abc").build());
              } else {
                state.get(StateKey.of("summary", Integer.class));
                out.last(result("read"), StateUpdate.builder().build());
              }
            });
    try (Harness h = harness(wrong)) {
      h.send("s", "one");
      h.pump();
      h.send("s", "two");
      h.pump();

      SessionState failed = h.states("s").get(1);
      assertThat(failed.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(failed.getLastError().getMessage())
          .contains("'summary'", "string", "java.lang.Integer");
    }
    ActionState state =
        ActionState.ofJson(
            "s",
            1,
            List.of(),
            Map.of("count", com.fasterxml.jackson.databind.node.TextNode.valueOf("3")),
            Set.of("count"));
    assertThatThrownBy(() -> state.get(COUNT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'count'")
        .hasMessageContaining("string")
        .hasMessageContaining("java.lang.Integer");
    assertThatThrownBy(() -> state.get(TAGS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not among the action's declared reads");
  }

  @Test
  void aVersionTwoRecordIsReadWithItsStringFields() throws Exception {
    Schema v2;
    try (InputStream in =
        getClass().getResourceAsStream("/schema-history/dev.runnel.schemas.SessionState/v2.avsc")) {
      v2 = new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    assertThat(v2.getField("jsonFields")).isNull();
    GenericRecord old =
        new GenericRecordBuilder(v2)
            .set("sessionId", "s")
            .set("version", 4L)
            .set("fields", Map.of("summary", "an old summary"))
            .build();
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(old).array();

    List<Object> seen = new ArrayList<>();
    StreamingAction reader =
        action(
            Set.of("summary", "count"),
            Set.of("count"),
            (state, out) -> {
              seen.add(state.get(SUMMARY));
              seen.add(state.field("summary"));
              out.last(result("read"), StateUpdate.builder().set(COUNT, 1).build());
            });
    try (Harness h = harness(reader)) {
      h.restore(
          Map.of(
              StreamingActionProcessorSupplier.STATE_STORE,
              List.of(KeyValue.pair("s".getBytes(StandardCharsets.UTF_8), bytes))));
      h.send("s", "hi");
      h.pump();

      assertThat(seen)
          .containsExactly(
              java.util.Optional.of("an old summary"), java.util.Optional.of("an old summary"));
      SessionState next = h.states("s").get(0);
      assertThat(next.getVersion()).isEqualTo(5);
      assertThat(next.getFields()).containsEntry("summary", "an old summary");
      assertThat(next.getJsonFields()).containsEntry("count", "1");
      assertThat(h.endChunks()).extracting(Chunk::getTextLength).containsExactly(4);
    }
  }
}
