package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Responses API across gateway instances: a background stream whose gateway is stopped
 * mid-stream and resumed on another instance with {@code starting_after}, retrieval and
 * cancellation on an instance that did not create the response, {@code store: false}, and refused
 * parameters.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ResponsesResumeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TOKENS = 40;
  private static TestBroker broker;
  private static SimulatedModelServer simulator;
  private static RunnelStack stack;
  private static Gateway first;
  private static Gateway second;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    broker = TestBroker.start();
    simulator =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                // 4 s per reply: the first gateway stops well before the reply ends.
                .withTokensPerSecond(10)
                .withReplyTokens(TOKENS));
    stack = new RunnelStack(broker, "gw-resp-" + UUID.randomUUID(), 2, simulator);
    stack.startTopology();
    first = stack.startGateway(Map.of());
    second = stack.startGateway(Map.of());
    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                first.ready()
                    && second.ready()
                    && stack.instances().get(0).state() == KafkaStreams.State.RUNNING);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
    if (simulator != null) {
      simulator.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** One server-sent event of a Responses stream. */
  private record Event(String type, JsonNode data) {
    long sequence() {
      return data.get("sequence_number").asLong();
    }
  }

  /** Reads complete events from {@code lines} until it ends, breaks, or {@code stopAfter} says. */
  private static List<Event> read(
      Iterator<String> lines, java.util.function.Predicate<List<Event>> stopAfter) {
    List<Event> events = new ArrayList<>();
    String type = null;
    StringBuilder data = new StringBuilder();
    try {
      while (lines.hasNext()) {
        String line = lines.next();
        if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        } else if (line.isEmpty() && type != null) {
          events.add(new Event(type, JSON.readTree(data.toString())));
          type = null;
          data.setLength(0);
          if (stopAfter.test(events)) {
            return events;
          }
        }
      }
    } catch (UncheckedIOException | IOException e) {
      // the connection broke: what was read whole is kept
    }
    return events;
  }

  private HttpResponse<Stream<String>> post(Gateway gateway, String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(gateway.url() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofLines());
  }

  private HttpResponse<String> postJson(Gateway gateway, String path, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(gateway.url() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(Gateway gateway, String path)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(gateway.url() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String text(List<Event> events) {
    StringBuilder text = new StringBuilder();
    for (Event e : events) {
      if (e.type().equals("response.output_text.delta")) {
        text.append(e.data().get("delta").asText());
      }
    }
    return text.toString();
  }

  @Test
  void aStreamCutByAStoppedGatewayResumesOnAnotherWithEveryEventOnce() throws Exception {
    String prompt = "resume me elsewhere " + UUID.randomUUID();
    HttpResponse<Stream<String>> started =
        post(
            first,
            "/v1/responses",
            "{\"input\":"
                + JSON.writeValueAsString(prompt)
                + ",\"background\":true,\"stream\":true}");
    assertThat(started.statusCode()).isEqualTo(200);
    Iterator<String> lines = started.body().iterator();
    List<Event> before =
        read(
            lines,
            events ->
                events.stream().filter(e -> e.type().equals("response.output_text.delta")).count()
                    >= 3);
    String id = before.get(0).data().get("response").get("id").asText();
    assertThat(before.get(0).data().get("response").get("background").asBoolean()).isTrue();

    stack.stopGateway(first); // the instance serving the stream goes away mid-reply
    before.addAll(read(lines, events -> false));
    assertThat(before).noneMatch(e -> e.type().equals("response.completed"));
    long last = before.get(before.size() - 1).sequence();

    HttpResponse<Stream<String>> resumed =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        second.url()
                            + "/v1/responses/"
                            + id
                            + "?stream=true&starting_after="
                            + last))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(resumed.statusCode()).isEqualTo(200);
    List<Event> after = read(resumed.body().iterator(), events -> false);

    List<Event> all = new ArrayList<>(before);
    all.addAll(after);
    assertThat(after).anyMatch(e -> e.type().equals("response.output_text.delta"));
    assertThat(all.stream().map(Event::sequence).toList())
        .isEqualTo(LongStream.range(0, all.size()).boxed().toList());
    Event end = all.get(all.size() - 1);
    assertThat(end.type()).isEqualTo("response.completed");
    String expected = SimulatedReplies.reply(prompt, TOKENS);
    assertThat(text(all)).isEqualTo(expected);
    assertThat(end.data().at("/response/output/0/content/0/text").asText()).isEqualTo(expected);

    JsonNode retrieved = JSON.readTree(get(second, "/v1/responses/" + id).body());
    assertThat(retrieved.get("status").asText()).isEqualTo("completed");
    assertThat(retrieved.at("/output/0/content/0/text").asText()).isEqualTo(expected);
    assertThat(retrieved.at("/usage/output_tokens").asInt()).isPositive();
  }

  @Test
  void aBackgroundResponseAnswersAtOnceAndIsCancelledFromAnotherInstance() throws Exception {
    Gateway live = second;
    HttpResponse<String> created =
        postJson(
            live,
            "/v1/responses",
            "{\"input\":\"a long one [[sim duration_ms=30000]]\",\"background\":true}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    JsonNode response = JSON.readTree(created.body());
    assertThat(response.get("status").asText()).isEqualTo("queued");
    String id = response.get("id").asText();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                JSON.readTree(get(live, "/v1/responses/" + id).body())
                    .get("status")
                    .asText()
                    .equals("in_progress"));

    HttpResponse<String> cancelled = postJson(live, "/v1/responses/" + id + "/cancel", "");
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    assertThat(JSON.readTree(cancelled.body()).get("status").asText()).isEqualTo("cancelled");
    assertThat(JSON.readTree(get(live, "/v1/responses/" + id).body()).get("status").asText())
        .isEqualTo("cancelled");
  }

  @Test
  void aResponseNotStoredIsNotServedBack() throws Exception {
    HttpResponse<String> created =
        postJson(second, "/v1/responses", "{\"input\":\"forget me\",\"store\":false}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String id = JSON.readTree(created.body()).get("id").asText();

    HttpResponse<String> retrieved = get(second, "/v1/responses/" + id);
    assertThat(retrieved.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(retrieved.body()).at("/error/message").asText())
        .contains("store: false");
    HttpResponse<String> continued =
        postJson(
            second,
            "/v1/responses",
            "{\"input\":\"and then?\",\"previous_response_id\":\"" + id + "\"}");
    assertThat(continued.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(continued.body()).at("/error/param").asText())
        .isEqualTo("previous_response_id");
  }

  @Test
  void unsupportedParametersAndUnknownIdsAreRefusedInOpenAisShape() throws Exception {
    HttpResponse<String> tools =
        postJson(
            second,
            "/v1/responses",
            "{\"input\":\"hi\",\"tools\":[{\"type\":\"function\",\"name\":\"f\"}]}");
    assertThat(tools.statusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree(tools.body()).get("error");
    assertThat(error.get("param").asText()).isEqualTo("tools");
    assertThat(error.get("code").asText()).isEqualTo("unsupported_parameter");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");

    HttpResponse<String> unknown = get(second, "/v1/responses/resp_nothing");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(unknown.body()).at("/error/type").asText())
        .isEqualTo("not_found_error");
  }
}
