package dev.runnel.gateway.internal;

import static dev.runnel.gateway.internal.ResponsesEventsTest.delta;
import static dev.runnel.gateway.internal.ResponsesEventsTest.end;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnthropicEventsTest {

  @Test
  void aReplyIsAnthropicsEventSequence() {
    AnthropicEvents events = new AnthropicEvents("r-1", "claude-sim");
    List<AnthropicEvents.Event> out = new ArrayList<>(events.start());
    out.addAll(events.accept(delta("r-1", 1, 0, "Hi ")));
    out.addAll(events.accept(delta("r-1", 1, 1, "there")));
    out.addAll(events.accept(end(1, 2, FinishReason.STOP, null)));

    assertThat(out.stream().map(AnthropicEvents.Event::type).toList())
        .containsExactly(
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop");
    for (AnthropicEvents.Event e : out) {
      assertThat(e.data().get("type").asText()).isEqualTo(e.type());
      assertThat(e.sse()).startsWith("event: " + e.type() + "\ndata: {");
    }
    JsonNode start = out.get(0).data().get("message");
    assertThat(start.get("id").asText()).isEqualTo("msg_r-1");
    assertThat(start.get("model").asText()).isEqualTo("claude-sim");
    assertThat(start.get("content")).isEmpty();
    assertThat(start.get("stop_reason").isNull()).isTrue();
    assertThat(out.get(1).data().at("/content_block/type").asText()).isEqualTo("text");
    assertThat(out.get(3).data().at("/delta/type").asText()).isEqualTo("text_delta");
    assertThat(out.get(3).data().at("/delta/text").asText()).isEqualTo("Hi ");
    assertThat(out.get(6).data().at("/delta/stop_reason").asText()).isEqualTo("end_turn");
    assertThat(out.get(6).data().at("/usage/output_tokens").asInt()).isEqualTo(5);

    JsonNode whole = events.message();
    assertThat(whole.at("/content/0/text").asText()).isEqualTo("Hi there");
    assertThat(whole.get("stop_reason").asText()).isEqualTo("end_turn");
    assertThat(whole.at("/usage/input_tokens").asInt()).isEqualTo(3);
  }

  @Test
  void aCutReplyStopsAtMaxTokens() {
    AnthropicEvents events = new AnthropicEvents("r-1", "m");
    events.accept(delta("r-1", 1, 0, "x"));
    events.accept(end(1, 1, FinishReason.LENGTH, null));
    assertThat(events.message().get("stop_reason").asText()).isEqualTo("max_tokens");
  }

  @Test
  void aFailedRequestIsAnErrorEventInAnthropicsShape() {
    AnthropicEvents events = new AnthropicEvents("r-1", "m");
    List<AnthropicEvents.Event> out =
        events.accept(end(1, 0, FinishReason.ERROR, new ErrorInfo("OVERLOADED", "busy", true)));

    assertThat(out).hasSize(1);
    assertThat(out.get(0).type()).isEqualTo("error");
    assertThat(out.get(0).data().get("type").asText()).isEqualTo("error");
    assertThat(out.get(0).data().at("/error/type").asText()).isEqualTo("overloaded_error");
    assertThat(out.get(0).data().at("/error/message").asText()).isEqualTo("busy");
    assertThat(events.failure().status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
  }

  @Test
  void errorBodiesNameTheField() {
    JsonNode body =
        AnthropicMessages.errorBody(
            ApiError.of(HttpResponseStatus.BAD_REQUEST, "bad_max_tokens", "is required")
                .param("max_tokens"));
    assertThat(body.get("type").asText()).isEqualTo("error");
    assertThat(body.at("/error/type").asText()).isEqualTo("invalid_request_error");
    assertThat(body.at("/error/message").asText()).isEqualTo("max_tokens: is required");
  }
}
