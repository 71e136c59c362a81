package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.config.RunnelConfig;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The official {@code openai} npm client's Responses API and the official {@code @anthropic-ai/sdk}
 * Messages API, unmodified, pointed at the gateway: whole and streamed replies with the simulated
 * model's text, a conversation continued with {@code previous_response_id} (the model gets the
 * first turn, and the second prompt quotes the first reply), retrieval, and refusals in each API's
 * error shape.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ApiNodeClientsTest {
  private static final int TOKENS = 16;
  private static final int MAX_TOKENS = 64;
  private static TestRunnel runnel;

  @BeforeAll
  static void start() throws Exception {
    NodeScripts.requireInstalled();
    runnel =
        TestRunnel.start(
            "gw-apis",
            2,
            1,
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(100)
                .withReplyTokens(TOKENS),
            Map.of(RunnelConfig.MODEL_MAX_TOKENS_CONFIG, MAX_TOKENS));
  }

  @AfterAll
  static void stop() {
    if (runnel != null) {
      runnel.close();
    }
  }

  @Test
  void theOpenAiClientHoldsAResponsesConversation() throws Exception {
    String prompt = "a question for the responses api " + UUID.randomUUID();
    NodeScripts.Result result =
        NodeScripts.run(
            List.of("node", "responses.mjs", runnel.gateway.url() + "/v1", prompt),
            Duration.ofMinutes(2));

    assertThat(result.exit()).as(result.output()).isZero();
    JsonNode out = result.lastLine();
    String first = SimulatedReplies.reply(prompt, TOKENS);
    assertThat(out.get("firstStatus").asText()).isEqualTo("completed");
    assertThat(out.get("firstText").asText()).isEqualTo(first);
    String secondPrompt = "What follows \"" + first + "\"?";
    assertThat(out.get("secondPrompt").asText()).isEqualTo(secondPrompt);
    String second = SimulatedReplies.reply(secondPrompt, TOKENS);
    assertThat(out.get("secondText").asText()).isEqualTo(second);
    assertThat(out.get("completedText").asText()).isEqualTo(second);
    assertThat(out.get("retrievedStatus").asText()).isEqualTo("completed");
    assertThat(out.get("retrievedText").asText()).isEqualTo(second);
    assertThat(out.get("retrievedOutputTokens").asInt()).isPositive();

    List<String> types = new ArrayList<>();
    out.get("types").forEach(t -> types.add(t.asText()));
    assertThat(types.subList(0, 4))
        .containsExactly(
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added");
    assertThat(types.subList(types.size() - 4, types.size()))
        .containsExactly(
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed");
    assertThat(types.subList(4, types.size() - 4))
        .isNotEmpty()
        .containsOnly("response.output_text.delta");
    List<Integer> sequences = new ArrayList<>();
    out.get("sequences").forEach(s -> sequences.add(s.asInt()));
    assertThat(sequences).isEqualTo(IntStream.range(0, types.size()).boxed().toList());

    // The second call to the model carried the first turn: the session holds the conversation.
    RecordedRequest secondCall =
        runnel.simulator.requests().stream()
            .filter(r -> r.prompt().equals(secondPrompt))
            .findFirst()
            .orElseThrow();
    JsonNode messages =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(secondCall.body())
            .get("messages");
    List<String> contents = new ArrayList<>();
    messages.forEach(
        m -> contents.add(m.path("role").asText() + ": " + m.path("content").asText()));
    assertThat(contents)
        .containsSubsequence("user: " + prompt, "assistant: " + first, "user: " + secondPrompt);

    JsonNode refused = out.get("refused");
    assertThat(refused.get("status").asInt()).isEqualTo(400);
    assertThat(refused.get("param").asText()).isEqualTo("temperature");
    assertThat(refused.get("code").asText()).isEqualTo("unsupported_parameter");
  }

  @Test
  void theAnthropicClientGetsWholeAndStreamedMessages() throws Exception {
    String prompt = "a question for the messages api " + UUID.randomUUID();
    NodeScripts.Result result =
        NodeScripts.run(
            List.of(
                "node",
                "anthropic.mjs",
                runnel.gateway.url(),
                "anthropic-" + UUID.randomUUID(),
                prompt),
            Duration.ofMinutes(2));

    assertThat(result.exit()).as(result.output()).isZero();
    JsonNode out = result.lastLine();
    assertThat(out.get("wholeText").asText()).isEqualTo(SimulatedReplies.reply(prompt, TOKENS));
    assertThat(out.get("wholeStop").asText()).isEqualTo("end_turn");
    assertThat(out.get("wholeModel").asText()).isEqualTo("runnel-sim");
    assertThat(out.get("wholeOutputTokens").asInt()).isPositive();
    assertThat(out.get("text").asText())
        .isEqualTo(SimulatedReplies.reply(prompt + " again", TOKENS));
    assertThat(out.get("stopReason").asText()).isEqualTo("end_turn");
    assertThat(out.get("outputTokens").asInt()).isPositive();
    List<String> events = new ArrayList<>();
    out.get("events").forEach(e -> events.add(e.asText()));
    // The SDK passes on every event but ping (AnthropicEventsTest checks the ping).
    assertThat(events.subList(0, 2)).containsExactly("message_start", "content_block_start");
    assertThat(events.subList(events.size() - 3, events.size()))
        .containsExactly("content_block_stop", "message_delta", "message_stop");
    assertThat(events.subList(2, events.size() - 3))
        .isNotEmpty()
        .containsOnly("content_block_delta");
    assertThat(out.get("helperText").asText())
        .isEqualTo(SimulatedReplies.reply(prompt + " once more", TOKENS));

    JsonNode refused = out.get("refused");
    assertThat(refused.get("status").asInt()).isEqualTo(400);
    assertThat(refused.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(refused.get("message").asText()).contains("max_tokens").contains("required");
  }
}
