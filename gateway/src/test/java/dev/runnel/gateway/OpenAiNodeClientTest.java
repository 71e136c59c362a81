package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The official {@code openai} npm client, unmodified, pointed at the gateway's base URL: the model
 * list, a streamed completion and a whole one (with an end user's {@code user}), with the simulated
 * model's replies, a failed stream, which the client must raise as an error, and a client-side
 * tool: its call streamed, then the follow-up with its result.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OpenAiNodeClientTest {
  private static final int TOKENS = 16;
  private static TestRunnel runnel;

  @BeforeAll
  static void start() throws Exception {
    NodeScripts.requireInstalled();
    runnel =
        TestRunnel.start(
            "gw-openai",
            2,
            1,
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(100)
                .withReplyTokens(TOKENS));
  }

  @AfterAll
  static void stop() {
    if (runnel != null) {
      runnel.close();
    }
  }

  @Test
  void theOfficialClientStreamsAReplyThroughRunnel() throws Exception {
    String session = "openai-" + UUID.randomUUID();
    NodeScripts.Result result =
        run(
            List.of(
                "node",
                "stream.mjs",
                runnel.gateway.url() + "/v1",
                session,
                "a question from node"),
            Duration.ofMinutes(2));

    assertThat(result.exit()).as(result.output()).isZero();
    String lastLine = result.output().strip().lines().reduce((a, b) -> b).orElse("");
    JsonNode out = new ObjectMapper().readTree(lastLine);
    assertThat(out.get("text").asText())
        .isEqualTo(SimulatedReplies.reply("a question from node", TOKENS));
    assertThat(out.get("chunks").asInt()).isGreaterThan(2);
    assertThat(out.get("finish").asText()).isEqualTo("stop");
    assertThat(out.get("wholeText").asText())
        .isEqualTo(SimulatedReplies.reply("a question from node again", TOKENS));
    // the whole reply named no model: it names the default it was answered with
    assertThat(out.get("wholeModel").asText()).isEqualTo("runnel-sim");
    assertThat(out.get("models")).extracting(JsonNode::asText).containsExactly("runnel-sim");
  }

  @Test
  void theOfficialClientReportsAFailedStreamAsAnError() throws Exception {
    runnel.simulator.enqueue("fault=bad_request");
    NodeScripts.Result result =
        run(
            List.of(
                "node",
                "fail.mjs",
                runnel.gateway.url() + "/v1",
                "openai-" + UUID.randomUUID(),
                "a question the model refuses"),
            Duration.ofMinutes(2));

    assertThat(result.exit()).as(result.output()).isZero();
    String lastLine = result.output().strip().lines().reduce((a, b) -> b).orElse("");
    JsonNode out = new ObjectMapper().readTree(lastLine);
    assertThat(out.get("threw").asBoolean()).as(lastLine).isTrue();
    assertThat(out.get("apiError").asBoolean()).isTrue();
    assertThat(out.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(out.get("code").asText()).isEqualTo("bad_request");
  }

  @Test
  void theOfficialClientRunsAClientToolThroughRunnelAndSendsItsResultBack() throws Exception {
    String session = "openai-tools-" + UUID.randomUUID();
    String prompt = "[[sim tool=lookup]] Ada Lovelace";
    String toolResult = "{\"born\":1815}";
    NodeScripts.Result result =
        run(
            List.of("node", "tools.mjs", runnel.gateway.url() + "/v1", session, prompt, toolResult),
            Duration.ofMinutes(2));

    assertThat(result.exit()).as(result.output()).isZero();
    JsonNode out = result.lastLine();
    JsonNode call = out.at("/calls/0");
    assertThat(out.get("calls")).hasSize(1);
    assertThat(call.get("name").asText()).isEqualTo("lookup");
    assertThat(call.get("type").asText()).isEqualTo("function");
    assertThat(call.get("id").asText()).startsWith("call_");
    // the simulator gives each string parameter the prompt's text
    assertThat(new ObjectMapper().readTree(call.get("arguments").asText()))
        .isEqualTo(new ObjectMapper().createObjectNode().put("name", "Ada Lovelace"));
    assertThat(out.at("/firstDeltas/0/id").asText()).isEqualTo(call.get("id").asText());
    assertThat(out.at("/firstDeltas/0/type").asText()).isEqualTo("function");
    assertThat(out.at("/firstDeltas/0/name").asText()).isEqualTo("lookup");
    assertThat(out.get("toolChunks").asInt()).as("tool-call deltas streamed").isPositive();
    assertThat(out.get("finish").asText()).isEqualTo("tool_calls");

    assertThat(out.get("answerFinish").asText()).isEqualTo("stop");
    assertThat(out.get("answer").asText()).isEqualTo(SimulatedReplies.reply(prompt, TOKENS));
    // the model was asked again with the call and its result, as OpenAI's API sends them
    JsonNode asked =
        new ObjectMapper()
            .readTree(
                runnel.simulator.requests().stream()
                    .filter(r -> r.body().contains(call.get("id").asText()))
                    .reduce((a, b) -> b)
                    .orElseThrow()
                    .body());
    JsonNode messages = asked.get("messages");
    JsonNode tool = messages.get(messages.size() - 1);
    assertThat(tool.get("role").asText()).isEqualTo("tool");
    assertThat(tool.get("tool_call_id").asText()).isEqualTo(call.get("id").asText());
    assertThat(tool.get("content").asText()).isEqualTo(toolResult);
    assertThat(messages.get(messages.size() - 2).at("/tool_calls/0/id").asText())
        .isEqualTo(call.get("id").asText());

    HttpResponse<String> state =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(runnel.gateway.url() + "/v1/sessions/" + session))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(state.statusCode()).as(state.body()).isEqualTo(200);
    JsonNode conversation = new ObjectMapper().readTree(state.body()).get("messages");
    assertThat(conversation)
        .extracting(m -> m.get("role").asText())
        .containsExactly("user", "assistant", "tool", "assistant");
    assertThat(conversation.at("/1/toolCalls/0/name").asText()).isEqualTo("lookup");
    assertThat(conversation.at("/2/toolCallId").asText()).isEqualTo(call.get("id").asText());
    assertThat(conversation.at("/2/content").asText()).isEqualTo(toolResult);
    assertThat(conversation.at("/3/content").asText()).isEqualTo(out.get("answer").asText());
  }

  private static NodeScripts.Result run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    return NodeScripts.run(command, timeout);
  }
}
