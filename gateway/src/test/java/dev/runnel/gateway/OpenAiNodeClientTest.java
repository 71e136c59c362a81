package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.io.IOException;
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
 * model's replies, and a failed stream, which the client must raise as an error.
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

  private static NodeScripts.Result run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    return NodeScripts.run(command, timeout);
  }
}
