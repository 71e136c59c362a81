package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolCallFragment;
import dev.runnel.serde.AvroSerde;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The immediate lane over a producer that acknowledges only when the test says so: deltas that
 * arrive while a record of their call is in flight merge into one record, a call with nothing in
 * flight sends its delta at once, and a consumer rebuilds the exact text from the records written.
 */
@Timeout(60)
class DeltaCoalescingTest {
  @TempDir Path stateDir;

  private final MockProducer<String, Chunk> producer =
      new MockProducer<>(
          false, null, new StringSerializer(), AvroSerde.of(Chunk.class).serializer());
  private final ScriptedModel model = ScriptedModel.manual();
  private Harness harness;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private Harness start(Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>(extra);
    settings.put(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_IMMEDIATE);
    KafkaDeltaPublisher lane = new KafkaDeltaPublisher(producer, "runnel.chunks");
    harness =
        new Harness(
            stateDir, new ChatAction(model, "", 0), settings, new RecordingDeltaPublisher(lane));
    return harness;
  }

  /** The delta records the producer was given, in the order it was given them. */
  private List<Chunk> written() {
    return producer.history().stream().map(ProducerRecord::value).collect(Collectors.toList());
  }

  private void awaitWritten(int records) {
    await().atMost(Duration.ofSeconds(10)).until(() -> producer.history().size() == records);
  }

  /** Acknowledges every send the producer holds until the end record is out. */
  private Chunk acknowledgeUntilEnd(Harness h) {
    await()
        .pollInSameThread()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              while (producer.completeNext()) {
                // each acknowledgement may send what merged meanwhile
              }
              h.pump();
              return !h.endChunks().isEmpty();
            });
    return h.endChunks().get(0);
  }

  @Test
  void deltasMergeWhileARecordIsInFlightAndRebuildTheExactText() {
    Harness h = start(Map.of());
    h.send("s1", "r1", "tell me a story");
    h.pump();
    ScriptedModel.Call call = model.lastCall();
    List<String> pieces =
        IntStream.range(0, 300).mapToObj(i -> "tok" + i + (i % 7 == 0 ? "\n" : " ")).toList();

    call.delta(pieces.get(0));
    awaitWritten(1); // sent before any acknowledgement: nothing of the call was in flight
    for (String piece : pieces.subList(1, 150)) {
      call.delta(piece);
    }
    assertThat(producer.history())
        .as("the first record is not acknowledged, so later deltas wait merged")
        .hasSize(1);

    assertThat(producer.completeNext()).isTrue();
    awaitWritten(2);
    assertThat(written().get(1).getDelta())
        .as("one record holds every delta that arrived while the first was in flight")
        .isEqualTo(String.join("", pieces.subList(1, 150)));
    for (String piece : pieces.subList(150, 300)) {
      call.delta(piece);
    }
    call.complete();
    Chunk end = acknowledgeUntilEnd(h);

    String text = String.join("", pieces);
    SessionState state = h.states("s1").get(0);
    assertThat(state.getMessages().get(1).getContent()).isEqualTo(text);
    List<Chunk> records = written();
    assertThat(records).hasSize(3);
    assertThat(records)
        .extracting(Chunk::getSequence)
        .as("sequence is the record's position within the call")
        .containsExactly(0, 1, 2);
    assertThat(records).extracting(Chunk::getCallId).containsOnly(end.getCallId());
    assertThat(end.getSequence()).as("the end record counts the delta records").isEqualTo(3);
    assertThat(records.stream().map(Chunk::getDelta).collect(Collectors.joining())).isEqualTo(text);
    assertThat(h.rebuiltText("r1")).isEqualTo(text);
    assertThat(end.getTextLength()).isEqualTo(text.length());
  }

  @Test
  void toolCallFragmentsMergePerCallAmongTheTextWhileARecordIsInFlight() {
    Harness h = start(Map.of());
    h.send("s1", "r1", "find it");
    h.pump();
    ScriptedModel.Call call = model.lastCall();

    call.delta("Looking ");
    awaitWritten(1);
    call.toolCall(0, "call_1", "search", "{\"q\":")
        .toolCall(0, null, null, "\"kafka\"}")
        .toolCall(1, "call_2", "clock", "")
        .toolCall(1, null, null, "{}")
        .delta("... ")
        .delta("found");
    assertThat(producer.history()).hasSize(1);
    assertThat(producer.completeNext()).isTrue();
    awaitWritten(4);
    call.complete();
    Chunk end = acknowledgeUntilEnd(h);

    List<Chunk> records = written();
    assertThat(records).extracting(Chunk::getSequence).containsExactly(0, 1, 2, 3);
    assertThat(records)
        .extracting(Chunk::getDelta)
        .containsExactly("Looking ", "", "", "... found");
    assertThat(records.get(1).getToolCall())
        .isEqualTo(new ToolCallFragment(0, "call_1", "search", "{\"q\":\"kafka\"}"));
    assertThat(records.get(2).getToolCall())
        .isEqualTo(new ToolCallFragment(1, "call_2", "clock", "{}"));
    assertThat(records.get(3).getToolCall()).isNull();
    assertThat(end.getSequence()).isEqualTo(4);
    assertThat(h.rebuiltText("r1")).isEqualTo("Looking ... found");
    assertThat(end.getTextLength()).isEqualTo("Looking ... found".length());
  }

  @Test
  void aCallWithNothingInFlightSendsItsDeltaAtOnce() {
    Harness h = start(Map.of());
    h.send("s1", "r1", "hi");
    h.pump();
    ScriptedModel.Call call = model.lastCall();

    call.delta("one ");
    awaitWritten(1);
    assertThat(producer.completeNext()).isTrue();
    call.delta("two ");
    awaitWritten(2);
    assertThat(written().get(1).getDelta())
        .as("after the acknowledgement the call is idle again: no merging, no wait")
        .isEqualTo("two ");
    call.complete();

    assertThat(acknowledgeUntilEnd(h).getSequence()).isEqualTo(2);
    assertThat(h.rebuiltText("r1")).isEqualTo("one two ");
  }

  @Test
  void aMergedRecordGoesOutOnceItHoldsTheMaximumEvenWhileTheFirstIsInFlight() {
    Harness h = start(Map.of(RunnelConfig.DELTA_COALESCE_MAX_CHARS_CONFIG, 10));
    h.send("s1", "r1", "hi");
    h.pump();
    ScriptedModel.Call call = model.lastCall();

    call.delta("0123");
    awaitWritten(1);
    call.delta("4567").delta("89ab");
    assertThat(producer.history()).as("8 characters merged, under the maximum").hasSize(1);
    call.delta("cdef").delta("gh");
    awaitWritten(2);
    assertThat(written().get(1).getDelta()).isEqualTo("456789abcdef");
    call.complete();

    Chunk end = acknowledgeUntilEnd(h);
    assertThat(written()).extracting(Chunk::getDelta).containsExactly("0123", "456789abcdef", "gh");
    assertThat(end.getSequence()).isEqualTo(3);
    assertThat(h.rebuiltText("r1")).isEqualTo("0123456789abcdefgh");
  }

  @Test
  void zeroSendsEveryDeltaAsItsOwnRecord() {
    Harness h = start(Map.of(RunnelConfig.DELTA_COALESCE_MAX_CHARS_CONFIG, 0));
    h.send("s1", "r1", "hi");
    h.pump();
    ScriptedModel.Call call = model.lastCall();

    call.delta("a").delta("b").delta("c");
    awaitWritten(3);
    call.complete();

    assertThat(acknowledgeUntilEnd(h).getSequence()).isEqualTo(3);
    assertThat(written()).extracting(Chunk::getDelta).containsExactly("a", "b", "c");
  }

  @Test
  void aMaximumThatCannotFitTheLaneBufferIsRejected() {
    assertThatThrownBy(
            () ->
                start(
                    Map.of(
                        RunnelConfig.DELTA_LANE_BUFFER_BYTES_CONFIG,
                        4096L,
                        RunnelConfig.DELTA_COALESCE_MAX_CHARS_CONFIG,
                        4096)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.DELTA_COALESCE_MAX_CHARS_CONFIG)
        .hasMessageContaining("4096");
  }
}
