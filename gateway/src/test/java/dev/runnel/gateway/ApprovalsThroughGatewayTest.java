package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.agent.Agent;
import dev.runnel.model.ToolSpec;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.tool.Tool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Human in the loop through the front door: an agent whose {@code deploy} tool needs approval. The
 * session's event stream shows the model's call, then the pending approval; the session state lists
 * it; {@code POST /v1/sessions/{session}/approvals} decides, and the run goes on: approved, deploy
 * runs and its result is on the stream; rejected, it does not run and the model reads the person's
 * instruction.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ApprovalsThroughGatewayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static TestRunnel runnel;
  private static Gateway gateway;

  /** The arguments deploy ran with, in order. */
  private static final List<String> deployed = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    JsonNode parameters =
        JSON.readTree(
            "{\"type\":\"object\",\"properties\":{\"env\":{\"type\":\"string\"}},"
                + "\"required\":[\"env\"]}");
    runnel =
        TestRunnel.start(
            "gw-approvals",
            2,
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(10))
                .withTokensPerSecond(400)
                .withReplyTokens(6),
            (config, model) ->
                List.of(
                    Agent.builder("ops", model)
                        .toolWithApproval(
                            Tool.of(
                                new ToolSpec("deploy", "Deploys the service", parameters),
                                arguments -> {
                                  deployed.add(arguments.toString());
                                  return "deployed to " + arguments.path("env").asText();
                                }),
                            Duration.ofMinutes(2))
                        .build()));
    gateway = runnel.gateway;
  }

  @AfterAll
  static void stop() {
    if (runnel != null) {
      runnel.close();
    }
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(gateway.url() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode state(String session) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/sessions/" + session)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  /**
   * Sends the prompt, follows its events until the run waits for approval, and checks the call is
   * pending on the stream and in the state; returns the stream and the pending call's id.
   */
  private static Pending awaitPending(String session, String env) throws Exception {
    String requestId = "r-" + session;
    HttpResponse<String> accepted =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(gateway.url() + "/v1/sessions/" + session + "/prompts"))
                .header("Idempotency-Key", requestId)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"" + env + " [[sim tool=deploy]]\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    SseRecorder events =
        SseRecorder.open(
            HTTP,
            URI.create(
                gateway.url() + "/v1/sessions/" + session + "/events?requestId=" + requestId));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> events.events.stream().anyMatch(e -> e.json().has("approval")));
    JsonNode approval =
        events.events.stream()
            .map(SseRecorder.Event::json)
            .filter(e -> e.has("approval"))
            .findFirst()
            .orElseThrow()
            .get("approval");
    assertThat(approval.path("tool").asText()).isEqualTo("deploy");
    assertThat(approval.path("requestId").asText()).isEqualTo(requestId);
    assertThat(JSON.readTree(approval.path("arguments").asText()).path("env").asText())
        .isEqualTo(env);
    String callId = approval.path("callId").asText();
    // The model's call streamed before it, on the model step's records.
    assertThat(events.events.stream().map(SseRecorder.Event::json).filter(e -> e.has("toolCall")))
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e.path("action").asText()).isEqualTo(Agent.MODEL));
    JsonNode pending = state(session);
    assertThat(pending.path("lastStatus").asText()).isEqualTo("RUNNING");
    assertThat(pending.path("pendingApprovals"))
        .singleElement()
        .satisfies(p -> assertThat(p.path("callId").asText()).isEqualTo(callId));
    assertThat(events.sawEnd()).isFalse();
    return new Pending(events, callId);
  }

  private record Pending(SseRecorder events, String callId) {}

  private static JsonNode awaitEnd(String session, Pending pending) throws Exception {
    await().atMost(Duration.ofSeconds(60)).until(pending.events()::sawEnd);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> state(session).path("lastStatus").asText().equals("COMPLETED"));
    return state(session);
  }

  private static String toolResultOnStream(Pending pending) {
    return pending.events().events.stream()
        .map(SseRecorder.Event::json)
        .filter(e -> e.has("toolResult"))
        .map(e -> e.get("toolResult"))
        .filter(r -> r.path("callId").asText().equals(pending.callId()))
        .map(r -> r.path("content").asText())
        .findFirst()
        .orElseThrow();
  }

  @Test
  void anApprovalThroughTheGatewayRunsTheToolAndTheRunGoesOn() throws Exception {
    Pending pending = awaitPending("ops-approve", "prod");
    int before = deployed.size();

    HttpResponse<String> decided =
        post(
            "/v1/sessions/ops-approve/approvals",
            "{\"callId\":\"" + pending.callId() + "\",\"decision\":\"approved\"}");
    assertThat(decided.statusCode()).as(decided.body()).isEqualTo(202);
    assertThat(JSON.readTree(decided.body()).path("decision").asText()).isEqualTo("approved");
    JsonNode done = awaitEnd("ops-approve", pending);

    assertThat(deployed.subList(before, deployed.size())).containsExactly("{\"env\":\"prod\"}");
    assertThat(toolResultOnStream(pending)).isEqualTo("deployed to prod");
    assertThat(done.path("pendingApprovals")).isEmpty();
    JsonNode messages = done.path("messages");
    assertThat(messages.get(messages.size() - 2).path("content").asText())
        .isEqualTo("deployed to prod");
    assertThat(messages.get(messages.size() - 1).path("role").asText()).isEqualTo("assistant");
  }

  @Test
  void aRejectionThroughTheGatewayKeepsTheToolFromRunningAndTheModelReadsTheInstruction()
      throws Exception {
    Pending pending = awaitPending("ops-reject", "friday");
    int before = deployed.size();

    HttpResponse<String> decided =
        post(
            "/v1/sessions/ops-reject/approvals",
            "{\"callId\":\""
                + pending.callId()
                + "\",\"decision\":\"rejected\",\"message\":\"not on a Friday\"}");
    assertThat(decided.statusCode()).as(decided.body()).isEqualTo(202);
    JsonNode done = awaitEnd("ops-reject", pending);

    assertThat(deployed).hasSize(before);
    String rejected = "error: the call was rejected, with this instruction: not on a Friday";
    assertThat(toolResultOnStream(pending)).isEqualTo(rejected);
    JsonNode messages = done.path("messages");
    assertThat(messages.get(messages.size() - 2).path("content").asText()).isEqualTo(rejected);
  }

  @Test
  void aDecisionThatIsNeitherApprovedNorRejectedIsRefusedNamingIt() throws Exception {
    HttpResponse<String> refused =
        post("/v1/sessions/ops-bad/approvals", "{\"callId\":\"call_1\",\"decision\":\"maybe\"}");
    assertThat(refused.statusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree(refused.body()).path("error");
    assertThat(error.path("code").asText()).isEqualTo("bad_decision");
    assertThat(error.path("message").asText()).contains("\"maybe\"");

    HttpResponse<String> unknown =
        post(
            "/v1/sessions/ops-bad/approvals",
            "{\"callId\":\"call_1\",\"decision\":\"approved\",\"tool\":\"deploy\"}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(unknown.body()).path("error").path("message").asText())
        .contains("'tool'");
  }
}
