package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ResponsesEventsTest {
  private static final ResponseId ID =
      new ResponseId("s-1", "r-1", 0, 42, 1_700_000_000L, "runnel-sim", true, true);

  static Chunk delta(String requestId, int attempt, int sequence, String text) {
    return Chunk.newBuilder()
        .setSessionId("s-1")
        .setRequestId(requestId)
        .setAttempt(attempt)
        .setSequence(sequence)
        .setDelta(text)
        .build();
  }

  static Chunk end(int attempt, int sequence, FinishReason reason, ErrorInfo error) {
    return Chunk.newBuilder()
        .setSessionId("s-1")
        .setRequestId("r-1")
        .setAttempt(attempt)
        .setSequence(sequence)
        .setEnd(true)
        .setFinishReason(reason)
        .setError(error)
        .setUsage(new TokenUsage(3L, 5L, 8L))
        .build();
  }

  private static List<ResponsesEvents.Event> run(List<Chunk> chunks) {
    ResponsesEvents events = new ResponsesEvents(ID, null);
    List<ResponsesEvents.Event> out = new ArrayList<>(events.start());
    for (Chunk c : chunks) {
      out.addAll(events.accept(c));
    }
    return out;
  }

  private static List<String> types(List<ResponsesEvents.Event> events) {
    return events.stream().map(ResponsesEvents.Event::type).toList();
  }

  @Test
  void aCompletedReplyIsTheResponsesEventSequenceNumberedFromZero() {
    List<ResponsesEvents.Event> events =
        run(
            List.of(
                delta("r-1", 1, 0, "Hello "),
                delta("other", 1, 0, "not ours"),
                delta("r-1", 1, 1, "world"),
                end(1, 2, FinishReason.STOP, null)));

    assertThat(types(events))
        .containsExactly(
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed");
    assertThat(events.stream().map(ResponsesEvents.Event::sequence).toList())
        .isEqualTo(LongStream.range(0, events.size()).boxed().toList());
    for (ResponsesEvents.Event e : events) {
      assertThat(e.data().get("sequence_number").asLong()).isEqualTo(e.sequence());
      assertThat(e.data().get("type").asText()).isEqualTo(e.type());
      assertThat(e.sse()).startsWith("event: " + e.type() + "\ndata: {").endsWith("}\n\n");
    }
    assertThat(events.get(4).data().get("delta").asText()).isEqualTo("Hello ");
    assertThat(events.get(6).data().get("text").asText()).isEqualTo("Hello world");
    var response = events.get(9).data().get("response");
    assertThat(response.get("id").asText()).isEqualTo(ID.encode());
    assertThat(response.get("status").asText()).isEqualTo("completed");
    assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("Hello world");
    assertThat(response.at("/output/0/id").asText())
        .isEqualTo(events.get(4).data().get("item_id").asText());
    assertThat(response.at("/usage/input_tokens").asInt()).isEqualTo(3);
    assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(5);
    assertThat(response.get("background").asBoolean()).isTrue();
    assertThat(response.get("created_at").asLong()).isEqualTo(1_700_000_000L);
  }

  @Test
  void theSameRecordsGiveTheSameNumbersWhateverWasDeliveredTwice() {
    List<Chunk> records =
        List.of(
            delta("r-1", 1, 0, "a"),
            delta("r-1", 1, 1, "b"),
            delta("r-1", 1, 1, "b"), // the at-least-once lane repeated it
            delta("r-1", 2, 0, "ab"), // a restart repeats what was sent, then goes on
            delta("r-1", 2, 1, "c"),
            end(2, 2, FinishReason.STOP, null));

    List<ResponsesEvents.Event> once = run(records);
    List<ResponsesEvents.Event> again = run(records);

    assertThat(again).isEqualTo(once);
    List<String> deltas =
        once.stream()
            .filter(e -> e.type().equals("response.output_text.delta"))
            .map(e -> e.data().get("delta").asText())
            .toList();
    assertThat(deltas).containsExactly("a", "b", "c");
    assertThat(once.get(once.size() - 1).data().at("/response/output/0/content/0/text").asText())
        .isEqualTo("abc");
  }

  @Test
  void aModelErrorEndsWithResponseFailedAndItsCode() {
    List<ResponsesEvents.Event> events =
        run(
            List.of(
                delta("r-1", 1, 0, "half"),
                end(1, 1, FinishReason.ERROR, new ErrorInfo("RATE_LIMITED", "slow down", true))));

    ResponsesEvents.Event last = events.get(events.size() - 1);
    assertThat(last.type()).isEqualTo("response.failed");
    assertThat(last.data().at("/response/status").asText()).isEqualTo("failed");
    assertThat(last.data().at("/response/error/code").asText()).isEqualTo("rate_limited");
  }

  @Test
  void aCutReplyIsIncompleteAndACancelledOneSaysSo() {
    ResponsesEvents.Event cut =
        run(List.of(delta("r-1", 1, 0, "x"), end(1, 1, FinishReason.LENGTH, null))).get(8);
    assertThat(cut.type()).isEqualTo("response.incomplete");
    assertThat(cut.data().at("/response/incomplete_details/reason").asText())
        .isEqualTo("max_output_tokens");

    List<ResponsesEvents.Event> cancelled =
        run(List.of(delta("r-1", 1, 0, "x"), end(1, 1, FinishReason.CANCELLED, null)));
    assertThat(cancelled.get(cancelled.size() - 1).data().at("/response/status").asText())
        .isEqualTo("cancelled");
  }

  @Test
  void theResponseObjectSaysQueuedBeforeAnyChunkAndInProgressWhileStreaming() {
    ResponsesEvents events = new ResponsesEvents(ID, "be brief");
    assertThat(events.response().get("status").asText()).isEqualTo("queued");
    assertThat(events.response().get("instructions").asText()).isEqualTo("be brief");
    events.accept(delta("r-1", 1, 0, "so far"));
    assertThat(events.response().get("status").asText()).isEqualTo("in_progress");
    assertThat(events.response().at("/output/0/content/0/text").asText()).isEqualTo("so far");
    assertThat(events.response().get("usage").isNull()).isTrue();
  }
}
