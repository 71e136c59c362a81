package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.application.Application;
import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ModelException;
import dev.runnel.processor.internal.Actions;
import dev.runnel.processor.internal.CallSlots;
import dev.runnel.processor.internal.Hooks;
import dev.runnel.processor.internal.ProcessorSettings;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.internal.PendingRequest;
import dev.runnel.schemas.internal.SessionQueue;
import dev.runnel.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What survives a restart, a rollback or a re-initialisation of the processor. */
class StreamingActionProcessorRecoveryTest {
  @TempDir Path stateDir;

  private static Map<String, Object> immediate() {
    return Map.of(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_IMMEDIATE);
  }

  @Test
  void reinitialisingTheSameProcessorObjectRestartsItsUnfinishedRequest() {
    RunnelConfig config =
        new RunnelConfig(Map.of(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_TRANSACTIONAL));
    ScriptedModel model = ScriptedModel.manual();
    StreamingActionProcessorSupplier supplier =
        new StreamingActionProcessorSupplier(
            ProcessorSettings.from(config, "chunks", "sessions", "dead-letters", "tool-calls"),
            new Actions(List.of(Application.of(new ChatAction(model, "", 0)))),
            Optional.empty(),
            new CallSlots(4),
            new Hooks(List.of()));
    MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    addStore(context, StreamingActionProcessorSupplier.STATE_STORE, SessionState.class);
    addStore(context, StreamingActionProcessorSupplier.QUEUE_STORE, SessionQueue.class);
    addStore(context, StreamingActionProcessorSupplier.PENDING_STORE, PendingRequest.class);
    Processor<byte[], byte[], String, SpecificRecord> processor = supplier.get();
    processor.init(context);
    context.setRecordMetadata(config.getString(RunnelConfig.PROMPTS_TOPIC_CONFIG), 0, 0L);
    processor.process(
        new Record<>(
            "s".getBytes(StandardCharsets.UTF_8),
            AvroSerde.of(Prompt.class)
                .encode(Prompt.newBuilder().setRequestId("r1").setContent("poem").build()),
            0L));
    assertThat(model.calls()).hasSize(1);

    // As Kafka Streams does on suspend and resume, or when it revives a task after a dirty close.
    processor.close();
    assertThat(model.lastCall().cancelled()).isTrue();
    processor.init(context);
    punctuate(context);

    assertThat(model.calls())
        .as("the unfinished request restarts without another prompt")
        .hasSize(2);
    model.lastCall().delta("roses").complete();
    punctuate(context);
    List<SessionState> states =
        context.forwarded().stream()
            .map(f -> f.record().value())
            .filter(SessionState.class::isInstance)
            .map(SessionState.class::cast)
            .collect(Collectors.toList());
    assertThat(states)
        .extracting(SessionState::getVersion, SessionState::getLastStatus)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, RequestStatus.COMPLETED));
  }

  @Test
  void aRestartDuringABackoffWaitsUntilTheRetryIsDue() {
    ScriptedModel before =
        ScriptedModel.manual()
            .thenCall(
                call ->
                    call.fail(
                        new ModelException(
                            ModelException.Kind.RATE_LIMITED,
                            "HTTP 429",
                            Duration.ofSeconds(60),
                            null)));
    Map<String, Object> settings = Map.of(RunnelConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 120_000L);
    Map<String, List<KeyValue<byte[], byte[]>>> changelogs;
    try (Harness h = new Harness(stateDir, before, settings)) {
      h.send("s", "r", "hi");
      h.pump();
      assertThat(before.calls()).hasSize(1);
      changelogs = h.changelogs();
    }

    ScriptedModel after = ScriptedModel.echoing();
    try (Harness h = new Harness(stateDir, after, settings)) {
      h.restore(changelogs);
      h.pump();
      h.driver.advanceWallClockTime(Duration.ofSeconds(30));
      h.pump();
      assertThat(after.calls()).as("the retry is not due before 60 s").isEmpty();

      h.driver.advanceWallClockTime(Duration.ofSeconds(40));
      h.pump();
      assertThat(after.calls()).hasSize(1);
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {86_400L, Long.MAX_VALUE})
  void aRetryAfterLongerThanTheMaximumBackoffWaitsOnlyTheMaximum(long seconds) {
    ScriptedModel model =
        ScriptedModel.echoing()
            .thenCall(
                call ->
                    call.fail(
                        new ModelException(
                            ModelException.Kind.RATE_LIMITED,
                            "HTTP 429",
                            Duration.ofSeconds(seconds),
                            null)));
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.send("s", "r", "hi");
      h.pump();
      h.pumpPastBackoff(); // past runnel.retry.backoff.max.ms=1000

      assertThat(model.calls()).hasSize(2);
      assertThat(h.endChunks())
          .extracting(Chunk::getAttempt, Chunk::getFinishReason)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(2, dev.runnel.schemas.FinishReason.STOP));
      assertThat(h.states("s").get(0).getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
    }
  }

  /**
   * The acceptance and the start of a request are rolled back together (the instance dies before
   * its commit), while the call's deltas are already on the chunks topic through the immediate
   * lane: the prompt is read again and runs from scratch, again as attempt 1.
   */
  @Test
  void aCallWhoseStartWasRolledBackCannotBeMistakenForItsRestart() {
    RecordingDeltaPublisher chunkTopic = new RecordingDeltaPublisher();
    ScriptedModel first = ScriptedModel.manual();
    Map<String, List<KeyValue<byte[], byte[]>>> lastCommit;
    try (Harness h = new Harness(stateDir, new ChatAction(first, "", 0), immediate(), chunkTopic)) {
      lastCommit = h.changelogs();
      h.send("s", "tell me a story");
      h.pump();
      first.lastCall().delta("Once ").delta("upon ").delta("a ").delta("time");
    }

    ScriptedModel second = ScriptedModel.echoing();
    try (Harness h =
        new Harness(stateDir, new ChatAction(second, "", 0), immediate(), chunkTopic)) {
      h.restore(lastCommit);
      h.send("s", "tell me a story"); // the same record, read again: the same request id
      h.pump();

      String requestId = "runnel.prompts-0-0";
      String stored = h.states("s").get(0).getMessages().get(1).getContent();
      assertThat(stored).isEqualTo("echo: tell me a story");
      Chunk end = h.endChunks().get(0);
      assertThat(end.getAttempt()).as("the rollback lost the attempt number").isEqualTo(1);
      assertThat(h.rebuiltText(requestId)).isEqualTo(stored);
      assertThat(h.shownText(requestId)).isEqualTo(stored);
      assertThat(callIds(h.allChunks(), requestId)).hasSize(2);
    }
  }

  /**
   * A request's start is written in the same transaction as its predecessor's final, which is
   * rolled back: after the restore the predecessor runs again, and this request starts again from
   * its accepted, never-started state, as attempt 1.
   */
  @Test
  void aStartRolledBackWithItsPredecessorsFinalCannotBeMistakenForItsRestart() {
    RecordingDeltaPublisher chunkTopic = new RecordingDeltaPublisher();
    ScriptedModel first = ScriptedModel.manual();
    Map<String, List<KeyValue<byte[], byte[]>>> lastCommit;
    try (Harness h = new Harness(stateDir, new ChatAction(first, "", 0), immediate(), chunkTopic)) {
      h.send("s", "r1", "first question");
      h.send("s", "r2", "second question");
      h.pump();
      lastCommit = h.changelogs();
      first.lastCall().delta("answer one").complete();
      h.pump(); // applies r1's final and starts r2, in one transaction that will be lost
      assertThat(first.calls()).hasSize(2);
      first.lastCall().delta("an ").delta("answer ").delta("two ").delta("never applied");
    }

    ScriptedModel second = ScriptedModel.echoing();
    try (Harness h =
        new Harness(stateDir, new ChatAction(second, "", 0), immediate(), chunkTopic)) {
      h.restore(lastCommit);
      h.pump();
      h.pump();
      h.pump();

      assertThat(second.calls())
          .extracting(ScriptedModel.Call::prompt)
          .containsExactly("first question", "second question");
      List<SessionState> states = h.states("s");
      assertThat(states).extracting(SessionState::getVersion).containsExactly(1L, 2L);
      String stored = states.get(1).getMessages().get(3).getContent();
      assertThat(stored).isEqualTo("echo: second question");
      assertThat(h.endChunks())
          .extracting(Chunk::getRequestId, Chunk::getAttempt)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("r1", 2),
              org.assertj.core.groups.Tuple.tuple("r2", 1));
      assertThat(h.rebuiltText("r2")).isEqualTo(stored);
      assertThat(h.shownText("r2")).isEqualTo(stored);
      assertThat(h.rebuiltText("r1")).isEqualTo("echo: first question");
      assertThat(callIds(h.allChunks(), "r2")).hasSize(2);
    }
  }

  private static List<String> callIds(List<Chunk> chunks, String requestId) {
    return chunks.stream()
        .filter(c -> c.getRequestId().equals(requestId))
        .map(Chunk::getCallId)
        .distinct()
        .collect(Collectors.toList());
  }

  private static <T extends org.apache.avro.specific.SpecificRecordBase> void addStore(
      MockProcessorContext<String, SpecificRecord> context, String name, Class<T> type) {
    StateStore store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(name), Serdes.String(), AvroSerde.of(type))
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
  }

  /** Fires the punctuator that the processor's latest init scheduled. */
  private static void punctuate(MockProcessorContext<String, SpecificRecord> context) {
    List<MockProcessorContext.CapturedPunctuator> scheduled = context.scheduledPunctuators();
    MockProcessorContext.CapturedPunctuator latest = scheduled.get(scheduled.size() - 1);
    assertThat(latest.cancelled()).isFalse();
    context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + 10);
    latest.getPunctuator().punctuate(context.currentSystemTimeMs());
  }
}
