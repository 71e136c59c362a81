package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ModelException;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.internal.SessionQueue;
import dev.runnel.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamingActionProcessorTest {
  @TempDir Path stateDir;

  private static Map<String, Object> lane(String lane) {
    return Map.of(RunnelConfig.DELTA_LANE_CONFIG, lane);
  }

  @ParameterizedTest
  @ValueSource(strings = {RunnelConfig.LANE_IMMEDIATE, RunnelConfig.LANE_TRANSACTIONAL})
  void deltasOfARequestConcatenateToTheFinalText(String lane) {
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), lane(lane))) {
      h.send("s1", "r1", "tell me about Kafka");
      h.pump();

      SessionState state = h.states("s1").get(0);
      String reply = state.getMessages().get(1).getContent();
      assertThat(reply).isEqualTo("echo: tell me about Kafka");
      assertThat(h.rebuiltText("r1")).isEqualTo(reply);
      Chunk end = h.endChunks().get(0);
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.STOP);
      assertThat(end.getSequence()).as("end follows the 5 deltas").isEqualTo(5);
      assertThat(end.getTextLength()).isEqualTo(reply.length());
      assertThat(end.getAttempt()).isEqualTo(1);
      assertThat(state.getMessages())
          .extracting(Message::getRole, Message::getContent)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(Role.USER, "tell me about Kafka"),
              org.assertj.core.groups.Tuple.tuple(Role.ASSISTANT, reply));
      assertThat(state.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(state.getUsage().getCompletionTokens()).isEqualTo(reply.length());
    }
  }

  @Test
  void immediateLaneEndRecordWaitsForEveryDeltaToBeAcknowledged() {
    RecordingDeltaPublisher publisher = new RecordingDeltaPublisher().holdingAcks();
    ScriptedModel model = ScriptedModel.echoing();
    try (Harness h =
        new Harness(
            stateDir,
            new dev.runnel.chat.ChatAction(model, "", 0),
            lane(RunnelConfig.LANE_IMMEDIATE),
            publisher)) {
      h.send("s1", "r1", "hello there");
      h.pump();
      assertThat(publisher.sent())
          .as("the first delta alone, then the two that arrived while it was unacknowledged")
          .extracting(Chunk::getDelta)
          .containsExactly("echo: ", "hello there");
      assertThat(h.chunks.readValuesToList())
          .as("no end record before the deltas are on the topic")
          .isEmpty();
      assertThat(h.states()).isEmpty();

      publisher.releaseAcks();
      h.pump();

      assertThat(h.endChunks()).extracting(Chunk::getSequence).containsExactly(2);
      assertThat(h.rebuiltText("r1")).isEqualTo("echo: hello there");
      assertThat(h.states("s1")).extracting(SessionState::getVersion).containsExactly(1L);
    }
  }

  @Test
  void versionsRiseInPromptOrderPerSessionWhileSessionsInterleave() {
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), Map.of())) {
      for (int i = 1; i <= 3; i++) {
        h.send("alice", "alice-" + i);
        h.send("bob", "bob-" + i);
      }
      for (int i = 0; i < 5; i++) {
        h.pump();
      }

      for (String session : List.of("alice", "bob")) {
        List<SessionState> states = h.states(session);
        assertThat(states).extracting(SessionState::getVersion).containsExactly(1L, 2L, 3L);
        assertThat(states.get(2).getMessages())
            .extracting(Message::getContent)
            .containsExactly(
                session + "-1",
                "echo: " + session + "-1",
                session + "-2",
                "echo: " + session + "-2",
                session + "-3",
                "echo: " + session + "-3");
      }
    }
  }

  @Test
  void theNextPromptOfASessionSeesTheConversationSoFar() {
    ScriptedModel model = ScriptedModel.echoing();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "first");
      h.send("s", "second");
      h.pump();
      h.pump();

      assertThat(model.calls().get(1).request().messages())
          .extracting(m -> m.content())
          .containsExactly("first", "echo: first", "second");
    }
  }

  @Test
  void inFlightBoundHoldsAcrossSessions() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h = new Harness(stateDir, model, Map.of(RunnelConfig.MAX_IN_FLIGHT_CONFIG, 2))) {
      for (int s = 1; s <= 5; s++) {
        h.send("session-" + s, "prompt " + s);
      }
      h.pump();
      assertThat(model.openCalls()).isEqualTo(2);

      while (model.calls().stream().anyMatch(ScriptedModel.Call::open)) {
        model.calls().stream()
            .filter(ScriptedModel.Call::open)
            .findFirst()
            .orElseThrow()
            .delta("ok")
            .complete();
        h.pump();
      }

      assertThat(model.maxOpenCalls()).isEqualTo(2);
      assertThat(model.calls()).hasSize(5);
      assertThat(h.states()).hasSize(5).allSatisfy(s -> assertThat(s.getVersion()).isEqualTo(1L));
    }
  }

  @Test
  void aDuplicateRequestIdGivesOneFinal() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "req-1", "hello");
      h.send("s", "req-1", "hello"); // while the original runs: its own chunks answer both
      h.pump();
      model.lastCall().delta("hi").complete();
      h.pump();
      h.send("s", "req-1", "hello");
      h.pump();

      assertThat(model.calls()).hasSize(1);
      assertThat(h.states("s")).extracting(SessionState::getLastRequestId).containsExactly("req-1");
      assertThat(h.endChunks()).extracting(Chunk::getDuplicate).containsExactly(false, true);
      assertThat(h.deadLetters.isEmpty()).isTrue();
    }
  }

  /** A client retrying with the same idempotency key after the original finished. */
  @Test
  void aRepeatedRequestIdIsAnsweredWithTheOriginalOutcome() {
    ScriptedModel model =
        ScriptedModel.echoing()
            .thenCall(call -> call.delta("one ").delta("two").complete())
            .thenCall(
                call ->
                    call.fail(
                        new ModelException(
                            ModelException.Kind.AUTHENTICATION, "HTTP 401: bad key")));
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "ok", "count");
      h.pump();
      h.send("s", "bad", "again");
      h.pump();
      List<Chunk> originals = h.endChunks();
      h.send("s", "ok", "count");
      h.send("s", "bad", "again");
      h.pump();

      assertThat(model.calls()).hasSize(2);
      assertThat(h.states("s")).extracting(SessionState::getVersion).containsExactly(1L, 2L);
      List<Chunk> answers =
          h.endChunks().stream().filter(Chunk::getDuplicate).collect(Collectors.toList());
      assertThat(answers)
          .extracting(
              Chunk::getRequestId,
              Chunk::getFinishReason,
              Chunk::getSessionVersion,
              Chunk::getTextLength)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("ok", FinishReason.STOP, 1L, 7),
              org.assertj.core.groups.Tuple.tuple("bad", FinishReason.ERROR, 2L, null));
      assertThat(answers.get(1).getError().getKind()).isEqualTo("AUTHENTICATION");
      for (int i = 0; i < 2; i++) {
        assertThat(answers.get(i).getCallId()).isEqualTo(originals.get(i).getCallId());
        assertThat(answers.get(i).getAttempt()).isEqualTo(originals.get(i).getAttempt());
        assertThat(answers.get(i).getSequence()).isEqualTo(originals.get(i).getSequence());
      }
      assertThat(h.rebuiltText("ok")).as("the answer names the original call").isEqualTo("one two");
      assertThat(h.deadLetters.readValuesToList()).hasSize(1);
    }
  }

  /** An id remembered by a version that kept no outcomes is answered too, as unknown. */
  @Test
  void aRepeatOfAnIdRememberedWithoutItsOutcomeIsAnsweredAsUnknown() {
    ScriptedModel model = ScriptedModel.echoing();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.driver
          .<String, SessionQueue>getKeyValueStore(StreamingActionProcessorSupplier.QUEUE_STORE)
          .put(
              "s",
              SessionQueue.newBuilder()
                  .setHead(1)
                  .setNext(1)
                  .setRecentRequestIds(List.of("old"))
                  .build());
      h.send("s", "old", "hello");
      h.pump();

      assertThat(model.calls()).isEmpty();
      assertThat(h.endChunks())
          .extracting(Chunk::getRequestId, Chunk::getFinishReason, Chunk::getDuplicate)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("old", FinishReason.UNKNOWN, true));
    }
  }

  @Test
  void requestIdIsDerivedFromTopicPartitionOffsetWhenAbsent() {
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), Map.of())) {
      h.send("s", "one");
      h.send("s", "two");
      h.pump();
      h.pump();

      assertThat(h.states("s"))
          .extracting(SessionState::getLastRequestId)
          .containsExactly("runnel.prompts-0-0", "runnel.prompts-0-1");
    }
  }

  @Test
  void aRetriableFailureIsRetriedWithTheNextAttemptThenSucceeds() {
    ScriptedModel model =
        ScriptedModel.echoing()
            .thenCall(
                call ->
                    call.delta("partial ")
                        .fail(
                            new ModelException(
                                ModelException.Kind.RATE_LIMITED,
                                "HTTP 429",
                                Duration.ZERO,
                                null)));
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "r", "hi");
      h.pump();
      assertThat(h.states()).isEmpty();

      h.pumpPastBackoff();

      assertThat(model.calls()).hasSize(2);
      assertThat(h.endChunks()).extracting(Chunk::getAttempt).containsExactly(2);
      assertThat(h.rebuiltText("r")).isEqualTo("echo: hi");
      assertThat(h.states("s")).hasSize(1);
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
    }
  }

  @Test
  void retriesStopAtTheLimitAndTheRequestFails() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h =
        new Harness(stateDir, model, Map.of(RunnelConfig.RETRY_MAX_RETRIES_CONFIG, 2))) {
      h.send("s", "r", "hi");
      for (int i = 0; i < 3; i++) {
        h.pump();
        model.lastCall().fail(new ModelException(ModelException.Kind.SERVER_ERROR, "HTTP 503"));
        h.pumpPastBackoff();
      }

      assertThat(model.calls()).hasSize(3);
      Chunk end = h.endChunks().get(0);
      assertThat(end.getAttempt()).isEqualTo(3);
      assertThat(end.getError().getKind()).isEqualTo("SERVER_ERROR");
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(h.deadLetters.readValuesToList())
          .extracting(DeadLetter::getReason)
          .containsExactly("REQUEST_FAILED");
    }
  }

  @Test
  void aNonRetriableFailureFailsAtOnceWithoutAdvancingTheConversation() {
    ScriptedModel model =
        ScriptedModel.echoing()
            .thenCall(
                call ->
                    call.fail(
                        new ModelException(
                            ModelException.Kind.AUTHENTICATION, "HTTP 401: bad key")));
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "r1", "hello");
      h.pump();
      h.send("s", "r2", "again");
      h.pump();
      h.pump();

      assertThat(model.calls()).hasSize(2);
      List<SessionState> states = h.states("s");
      assertThat(states.get(0).getVersion()).isEqualTo(1L);
      assertThat(states.get(0).getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(states.get(0).getLastError().getKind()).isEqualTo("AUTHENTICATION");
      assertThat(states.get(0).getMessages()).isEmpty();
      assertThat(states.get(1).getMessages())
          .extracting(Message::getContent)
          .containsExactly("again", "echo: again");
      Chunk end = h.endChunks().get(0);
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(end.getError().getMessage()).contains("bad key");
      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("REQUEST_FAILED");
      assertThat(letter.getRequestId()).isEqualTo("r1");
      Prompt original = AvroSerde.of(Prompt.class).decode(bytes(letter.getValue()));
      assertThat(original.getContent()).isEqualTo("hello");
    }
  }

  @Test
  void aCancellationStopsTheRunningCallAndTheNextPromptProceeds() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "r1", "long story");
      h.send("s", "r2", "short one");
      h.pump();
      model.lastCall().delta("Once upon ");
      h.cancellations.pipeInput(
          "s", Cancellation.newBuilder().setReason("user pressed stop").build());
      h.pump();

      assertThat(model.calls().get(0).cancelled()).isTrue();
      Chunk end = h.endChunks().get(0);
      assertThat(end.getRequestId()).isEqualTo("r1");
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.CANCELLED);
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.CANCELLED);
      assertThat(model.calls()).hasSize(2);
      assertThat(model.lastCall().prompt()).isEqualTo("short one");

      model.lastCall().delta("done").complete();
      h.pump();
      assertThat(h.states("s")).extracting(SessionState::getVersion).containsExactly(1L, 2L);
    }
  }

  @Test
  void aQueuedRequestCanBeCancelledByItsId() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "r1", "first");
      h.send("s", "r2", "second");
      h.send("s", "r3", "third");
      h.pump();
      h.cancellations.pipeInput("s", Cancellation.newBuilder().setRequestId("r2").build());
      model.lastCall().delta("1").complete();
      h.pump();
      model.lastCall().delta("3").complete();
      h.pump();

      assertThat(model.calls())
          .extracting(ScriptedModel.Call::prompt)
          .containsExactly("first", "third");
      assertThat(h.endChunks())
          .extracting(Chunk::getRequestId, Chunk::getFinishReason, Chunk::getSessionVersion)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("r2", FinishReason.CANCELLED, 1L),
              org.assertj.core.groups.Tuple.tuple("r1", FinishReason.STOP, 2L),
              org.assertj.core.groups.Tuple.tuple("r3", FinishReason.STOP, 3L));
      assertThat(h.states("s"))
          .extracting(
              SessionState::getVersion, SessionState::getLastRequestId, SessionState::getLastStatus)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(1L, "r2", RequestStatus.CANCELLED),
              org.assertj.core.groups.Tuple.tuple(2L, "r1", RequestStatus.COMPLETED),
              org.assertj.core.groups.Tuple.tuple(3L, "r3", RequestStatus.COMPLETED));
      assertThat(h.states("s").get(2).getMessages())
          .extracting(Message::getContent)
          .containsExactly("first", "1", "third", "3");

      h.send("s", "r2", "second");
      h.pump();
      assertThat(h.endChunks().get(3))
          .extracting(Chunk::getRequestId, Chunk::getFinishReason, Chunk::getDuplicate)
          .containsExactly("r2", FinishReason.CANCELLED, true);
      assertThat(model.calls()).hasSize(2);
    }
  }

  @Test
  void badInputGoesToTheDeadLetterTopicAndProcessingContinues() {
    ScriptedModel model = ScriptedModel.echoing();
    byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
    AvroSerde<Prompt> serde = AvroSerde.of(Prompt.class);
    try (Harness h =
        new Harness(
            stateDir,
            model,
            Map.of(
                RunnelConfig.PROMPT_MAX_CHARS_CONFIG,
                10,
                RunnelConfig.MODEL_ALLOWED_CONFIG,
                "runnel-sim"))) {
      h.rawPrompts.pipeInput(null, serde.encode(Prompt.newBuilder().setContent("no key").build()));
      h.rawPrompts.pipeInput("s".getBytes(StandardCharsets.UTF_8), garbage);
      h.send("s", "   ");
      h.send("s", "far too long a prompt");
      h.prompts.pipeInput(
          "s", Prompt.newBuilder().setContent("hi").setModel("gpt-unknown").build());
      h.send("s", "valid");
      h.pump();

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters)
          .extracting(DeadLetter::getReason)
          .containsExactly(
              "NO_KEY", "UNDESERIALIZABLE", "EMPTY_PROMPT", "PROMPT_TOO_LARGE", "UNKNOWN_MODEL");
      assertThat(bytes(letters.get(1).getValue())).isEqualTo(garbage);
      assertThat(letters.get(1).getSourceOffset()).isEqualTo(1L);
      assertThat(letters.get(3).getMessage())
          .contains("21 characters")
          .contains("runnel.prompt.max.chars=10");
      assertThat(letters.get(4).getMessage()).contains("gpt-unknown");
      assertThat(h.states("s")).hasSize(1);
      assertThat(h.states("s").get(0).getMessages())
          .extracting(Message::getContent)
          .containsExactly("valid", "echo: valid");
    }
  }

  @Test
  void aFullSessionQueueRejectsThePromptInsteadOfLosingIt() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h =
        new Harness(stateDir, model, Map.of(RunnelConfig.SESSION_QUEUE_MAX_CONFIG, 2))) {
      h.send("s", "r1", "one");
      h.send("s", "r2", "two");
      h.send("s", "r3", "three");

      assertThat(h.deadLetters.readValuesToList())
          .extracting(DeadLetter::getRequestId, DeadLetter::getReason)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("r3", "SESSION_QUEUE_FULL"));
    }
  }

  @Test
  void anUnfinishedRequestRestartsWithTheNextAttemptAfterARestore() {
    ScriptedModel before = ScriptedModel.manual();
    Map<String, List<KeyValue<byte[], byte[]>>> changelogs;
    try (Harness h = new Harness(stateDir, before, lane(RunnelConfig.LANE_TRANSACTIONAL))) {
      h.send("s", "r1", "write a poem");
      h.send("s", "r2", "and another");
      h.pump();
      before.lastCall().delta("Roses ").delta("are ");
      h.pump();
      assertThat(h.allChunks()).extracting(Chunk::getAttempt).containsExactly(1, 1);
      changelogs = h.changelogs();
    }

    ScriptedModel after = ScriptedModel.echoing();
    try (Harness h = new Harness(stateDir, after, lane(RunnelConfig.LANE_TRANSACTIONAL))) {
      h.restore(changelogs);
      h.pump();
      h.pump();
      h.pump();

      assertThat(after.calls())
          .extracting(ScriptedModel.Call::prompt)
          .containsExactly("write a poem", "and another");
      List<Chunk> ends = h.endChunks();
      assertThat(ends)
          .extracting(Chunk::getRequestId, Chunk::getAttempt)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("r1", 2),
              org.assertj.core.groups.Tuple.tuple("r2", 1));
      assertThat(h.states("s")).extracting(SessionState::getVersion).containsExactly(1L, 2L);
      assertThat(h.states("s").get(0).getLastRequestId()).isEqualTo("r1");
    }
  }

  private static byte[] bytes(java.nio.ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  static List<String> ids(List<Chunk> chunks) {
    return chunks.stream().map(Chunk::getRequestId).collect(Collectors.toList());
  }
}
