package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Session state through interactive queries with two topology instances in this JVM (different
 * {@code application.server} ports): sessions spread over six partitions, and the gateway reads
 * every session's state correctly whichever instance owns it.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StateQueryTest {
  private static final int TOKENS = 8;
  private static final int SESSIONS = 24;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestRunnel runnel;

  @BeforeAll
  static void start() throws Exception {
    runnel =
        TestRunnel.start(
            "gw-state",
            6,
            2,
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(10))
                .withTokensPerSecond(400)
                .withReplyTokens(TOKENS));
  }

  @AfterAll
  static void stop() {
    if (runnel != null) {
      runnel.close();
    }
  }

  @Test
  void everySessionsStateIsReadWhicheverInstanceOwnsIt() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String base = runnel.gateway.url() + "/v1/sessions/";
    for (int s = 0; s < SESSIONS; s++) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "state-" + s + "/prompts"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"state " + s + "\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(202);
    }

    for (int s = 0; s < SESSIONS; s++) {
      String session = "state-" + s;
      String prompt = "state " + s;
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () -> {
                HttpResponse<String> response =
                    http.send(
                        HttpRequest.newBuilder(URI.create(base + session)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                JsonNode state = JSON.readTree(response.body());
                assertThat(state.get("sessionId").asText()).isEqualTo(session);
                assertThat(state.get("version").asLong()).isEqualTo(1);
                assertThat(state.at("/messages/0/content").asText()).isEqualTo(prompt);
                assertThat(state.at("/messages/1/content").asText())
                    .isEqualTo(SimulatedReplies.reply(prompt, TOKENS));
              });
    }

    // Both instances own some of the sessions, so half the answers were forwarded.
    List<KafkaStreams> instances = runnel.stack.instances();
    Set<HostInfo> owners = new HashSet<>();
    for (int s = 0; s < SESSIONS; s++) {
      KeyQueryMetadata metadata =
          instances
              .get(0)
              .queryMetadataForKey(
                  RunnelTopology.SESSION_STATE_STORE, "state-" + s, Serdes.String().serializer());
      owners.add(metadata.activeHost());
    }
    assertThat(owners).hasSize(2);
  }

  @Test
  void eachInstanceAnswersForEverySession() throws Exception {
    // Each instance's endpoint on its own: the one that does not own a session forwards.
    HttpClient http = HttpClient.newHttpClient();
    String session = "state-0";
    HttpResponse<String> prompt =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(runnel.gateway.url() + "/v1/sessions/state-direct/prompts"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"direct\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(prompt.statusCode()).isEqualTo(202);
    for (String url : runnel.stack.queryUrls()) {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                HttpResponse<String> response =
                    http.send(
                        HttpRequest.newBuilder(URI.create(url + "/sessions/state-direct")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
                assertThat(JSON.readTree(response.body()).at("/messages/1/content").asText())
                    .isEqualTo(SimulatedReplies.reply("direct", TOKENS));
              });
      HttpResponse<String> unknown =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/sessions/never-seen-" + session)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(unknown.statusCode()).isEqualTo(404);
    }
  }
}
