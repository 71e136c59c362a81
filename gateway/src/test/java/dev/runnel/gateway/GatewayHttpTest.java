package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Prompt;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every gateway endpoint over HTTP against a real broker, one topology instance and the simulated
 * model: prompts, event streams (whole, by request, resumed from memory and from the topic),
 * session state, chat completions (the model named, {@code user}, the parameters refused), the
 * model list, health, readiness, metrics, and the bad requests.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class GatewayHttpTest {
  private static final int TOKENS = 12;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static TestBroker broker;
  private static SimulatedModelServer simulator;
  private static RunnelStack stack;
  private static Gateway gateway;
  private static Gateway smallBuffer;
  private static Gateway twoModels;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBroker.start();
    simulator =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(200)
                .withReplyTokens(TOKENS));
    stack = new RunnelStack(broker, "gw-http-" + UUID.randomUUID(), 3, simulator);
    KafkaStreams streams = stack.startTopology();
    gateway = stack.startGateway(Map.of());
    // Keeps only two chunks per session, so resuming further back must read the topic.
    smallBuffer = stack.startGateway(Map.of(RunnelConfig.GATEWAY_REPLAY_CHUNKS_CONFIG, 2));
    twoModels =
        stack.startGateway(Map.of(RunnelConfig.MODEL_ALLOWED_CONFIG, "runnel-sim,runnel-other"));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                gateway.ready()
                    && smallBuffer.ready()
                    && twoModels.ready()
                    && streams.state() == KafkaStreams.State.RUNNING);
  }

  @AfterAll
  static void stop() throws Exception {
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

  private static String session() {
    return "s-" + UUID.randomUUID();
  }

  private static HttpResponse<String> send(
      Gateway g, String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(g.url() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  private static String promptBody(String prompt) throws Exception {
    return JSON.writeValueAsString(Map.of("prompt", prompt));
  }

  /** Posts a prompt and returns its request id. */
  private static String post(Gateway g, String session, String prompt, String... headers)
      throws Exception {
    HttpResponse<String> response =
        send(g, "POST", "/v1/sessions/" + session + "/prompts", promptBody(prompt), headers);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    return json(response).get("requestId").asText();
  }

  private static SseRecorder watch(Gateway g, String session, String requestId, String... headers) {
    return SseRecorder.open(
        http,
        URI.create(g.url() + "/v1/sessions/" + session + "/events?requestId=" + requestId),
        headers);
  }

  private static List<SseRecorder.Event> completed(SseRecorder recorder) {
    recorder.ended.orTimeout(60, TimeUnit.SECONDS).join();
    return new ArrayList<>(recorder.events);
  }

  @Test
  void aPromptIsAcceptedAndItsReplyStreamsAsEventsUntilItsEnd() throws Exception {
    String session = session();
    String key = "key-" + UUID.randomUUID();
    String requestId = post(gateway, session, "tell me about rivers", "Idempotency-Key", key);
    assertThat(requestId).isEqualTo(key);

    List<SseRecorder.Event> events = completed(watch(gateway, session, requestId));

    // One event per delta record (the immediate lane may merge deltas), then the end record,
    // whose sequence counts the delta records.
    assertThat(events.get(events.size() - 1).json().get("sequence").asInt())
        .isEqualTo(events.size() - 1);
    StringBuilder text = new StringBuilder();
    long previous = -1;
    for (SseRecorder.Event e : events) {
      assertThat(e.id()).matches("\\d+-\\d+");
      long offset = Long.parseLong(e.id().substring(e.id().indexOf('-') + 1));
      assertThat(offset).isGreaterThan(previous);
      previous = offset;
      assertThat(e.json().get("requestId").asText()).isEqualTo(requestId);
      text.append(e.json().get("delta").asText());
    }
    assertThat(text.toString()).isEqualTo(SimulatedReplies.reply("tell me about rivers", TOKENS));
    JsonNode end = events.get(events.size() - 1).json();
    assertThat(end.get("end").asBoolean()).isTrue();
    assertThat(end.get("finishReason").asText()).isEqualTo("stop");
    assertThat(end.get("textLength").asInt()).isEqualTo(text.length());
  }

  @Test
  void aSessionsStateHoldsTheConversation() throws Exception {
    String session = session();
    String requestId = post(gateway, session, "what is a delta?");
    completed(watch(gateway, session, requestId));

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> response = send(gateway, "GET", "/v1/sessions/" + session, null);
              assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
              JsonNode state = json(response);
              assertThat(state.get("version").asLong()).isEqualTo(1);
              assertThat(state.get("lastRequestId").asText()).isEqualTo(requestId);
              assertThat(state.get("lastStatus").asText()).isEqualTo("COMPLETED");
              JsonNode messages = state.get("messages");
              assertThat(messages).hasSize(2);
              assertThat(messages.get(0).get("role").asText()).isEqualTo("user");
              assertThat(messages.get(0).get("content").asText()).isEqualTo("what is a delta?");
              assertThat(messages.get(1).get("role").asText()).isEqualTo("assistant");
              assertThat(messages.get(1).get("content").asText())
                  .isEqualTo(SimulatedReplies.reply("what is a delta?", TOKENS));
            });
  }

  @Test
  void anUnknownSessionIs404() throws Exception {
    HttpResponse<String> response = send(gateway, "GET", "/v1/sessions/" + session(), null);
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(json(response).at("/error/code").asText()).isEqualTo("unknown_session");
    assertThat(json(response).at("/error/type").asText()).isEqualTo("not_found_error");
  }

  private static final String ONE_TURN =
      """
      {"model":"runnel-sim","stream":%s,"messages":[{"role":"user","content":"refuse this"}]}
      """;

  @Test
  void aModelsBadRequestIsTheCallers400AndSdksDoNotRetryIt() throws Exception {
    simulator.enqueue("fault=bad_request");
    HttpResponse<String> response =
        send(
            gateway,
            "POST",
            "/v1/chat/completions",
            ONE_TURN.formatted("false"),
            "X-Runnel-Session",
            session());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    assertThat(response.headers().firstValue("x-should-retry")).contains("false");
    JsonNode error = json(response).get("error");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("code").asText()).isEqualTo("bad_request");
  }

  @Test
  void aStreamedModelFailureIsAnErrorEventNotAnEmptyReply() throws Exception {
    simulator.enqueue("fault=bad_request");
    HttpResponse<String> response =
        send(
            gateway,
            "POST",
            "/v1/chat/completions",
            ONE_TURN.formatted("true"),
            "X-Runnel-Session",
            session());

    assertThat(response.statusCode()).isEqualTo(200);
    List<String> lines = response.body().lines().toList();
    int event = lines.indexOf("event: error");
    assertThat(event).as(response.body()).isNotNegative();
    JsonNode error = JSON.readTree(lines.get(event + 1).substring("data: ".length())).get("error");
    assertThat(error.get("code").asText()).isEqualTo("bad_request");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(response.body())
        .doesNotContain("[DONE]")
        .doesNotContain("\"finish_reason\":\"stop\"");
  }

  @Test
  void aResumeWithinTheBufferGetsExactlyTheRest() throws Exception {
    String session = session();
    // Paced, so that the immediate lane sends one record per token and there is a middle to resume.
    String requestId = post(gateway, session, "[[sim duration_ms=1000]] resume me");
    List<SseRecorder.Event> all = completed(watch(gateway, session, requestId));

    List<SseRecorder.Event> rest =
        completed(watch(gateway, session, requestId, "Last-Event-ID", all.get(2).id()));

    assertThat(rest).containsExactlyElementsOf(all.subList(3, all.size()));
  }

  @Test
  void aResumeOlderThanTheBufferReadsTheTopicWithoutGapsOrDuplicates() throws Exception {
    String session = session();
    // Paced, so that the immediate lane sends one record per token, more than the buffer holds.
    String requestId =
        post(smallBuffer, session, "[[sim duration_ms=1000]] resume me from the topic");
    List<SseRecorder.Event> all = completed(watch(gateway, session, requestId));

    List<SseRecorder.Event> rest =
        completed(watch(smallBuffer, session, requestId, "Last-Event-ID", all.get(1).id()));

    assertThat(rest).containsExactlyElementsOf(all.subList(2, all.size()));
    String metrics = send(smallBuffer, "GET", "/metrics", null).body();
    assertThat(metrics).containsPattern("runnel_gateway_resume_catchups_total [1-9]");
  }

  @Test
  void aSessionStreamOpenedMidReplyStartsWithTheReplySoFar() throws Exception {
    String session = session();
    String requestId = post(gateway, session, "[[sim duration_ms=2000]] take your time");
    SseRecorder byRequest = watch(gateway, session, requestId);
    await().atMost(Duration.ofSeconds(30)).until(() -> byRequest.events.size() >= 3);

    SseRecorder bySession =
        SseRecorder.open(http, URI.create(gateway.url() + "/v1/sessions/" + session + "/events"));

    List<SseRecorder.Event> all = completed(byRequest);
    await().atMost(Duration.ofSeconds(30)).until(bySession::sawEnd);
    bySession.cancel();
    assertThat(bySession.events).containsExactlyElementsOf(all);
  }

  @Test
  void aWholeSessionStreamShowsEveryRequest() throws Exception {
    String session = session();
    SseRecorder recorder =
        SseRecorder.open(http, URI.create(gateway.url() + "/v1/sessions/" + session + "/events"));
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.subscribed);
    String first = post(gateway, session, "one");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                recorder.events.stream()
                    .anyMatch(
                        e ->
                            e.json().path("end").asBoolean()
                                && e.json().get("requestId").asText().equals(first)));
    String second = post(gateway, session, "two");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                recorder.events.stream()
                    .anyMatch(
                        e ->
                            e.json().path("end").asBoolean()
                                && e.json().get("requestId").asText().equals(second)));
    recorder.cancel();
    assertThat(recorder.events.stream().map(e -> e.json().get("requestId").asText()).distinct())
        .containsExactly(first, second);
    for (Map.Entry<String, String> request : Map.of(first, "one", second, "two").entrySet()) {
      List<JsonNode> chunks =
          recorder.events.stream()
              .map(SseRecorder.Event::json)
              .filter(c -> c.get("requestId").asText().equals(request.getKey()))
              .toList();
      JsonNode end = chunks.get(chunks.size() - 1);
      assertThat(end.get("end").asBoolean()).isTrue();
      assertThat(end.get("sequence").asInt()).isEqualTo(chunks.size() - 1);
      assertThat(chunks.stream().map(c -> c.path("delta").asText()).reduce("", String::concat))
          .isEqualTo(SimulatedReplies.reply(request.getValue(), TOKENS));
    }
  }

  @Test
  void chatCompletionWithoutStreamingAnswersOneObject() throws Exception {
    String session = session();
    String body =
        """
        {"model":"runnel-sim","messages":[
          {"role":"system","content":"be brief"},
          {"role":"user","content":"hello there"}]}
        """;
    HttpResponse<String> response =
        send(gateway, "POST", "/v1/chat/completions", body, "X-Runnel-Session", session);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode completion = json(response);
    assertThat(completion.get("object").asText()).isEqualTo("chat.completion");
    assertThat(completion.get("model").asText()).isEqualTo("runnel-sim");
    assertThat(completion.at("/choices/0/message/content").asText())
        .isEqualTo(SimulatedReplies.reply("hello there", TOKENS));
    assertThat(completion.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(completion.at("/usage/completion_tokens").asLong()).isPositive();
    assertThat(response.headers().firstValue("X-Runnel-Session")).contains(session);
  }

  @Test
  void chatCompletionStreamsChunksThenDone() throws Exception {
    String body =
        """
        {"model":"runnel-sim","stream":true,"stream_options":{"include_usage":true},
         "user":"u-%s","messages":[{"role":"user","content":"stream it"}]}
        """
            .formatted(UUID.randomUUID());
    HttpResponse<String> response = send(gateway, "POST", "/v1/chat/completions", body);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    List<String> data =
        response
            .body()
            .lines()
            .filter(l -> l.startsWith("data: "))
            .map(l -> l.substring(6))
            .toList();
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    String finish = null;
    JsonNode usage = null;
    for (String d : data.subList(0, data.size() - 1)) {
      JsonNode chunk = JSON.readTree(d);
      assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
      if (chunk.get("choices").isEmpty()) {
        usage = chunk.get("usage");
        continue;
      }
      text.append(chunk.at("/choices/0/delta/content").asText(""));
      if (!chunk.at("/choices/0/finish_reason").isNull()) {
        finish = chunk.at("/choices/0/finish_reason").asText();
      }
    }
    assertThat(text.toString()).isEqualTo(SimulatedReplies.reply("stream it", TOKENS));
    assertThat(finish).isEqualTo("stop");
    assertThat(usage).isNotNull();
    assertThat(usage.get("total_tokens").asLong()).isPositive();
    assertThat(JSON.readTree(data.get(0)).get("model").asText()).isEqualTo("runnel-sim");
  }

  @Test
  void theModelsAreListedAsOpenAiDoes() throws Exception {
    HttpResponse<String> defaults = send(gateway, "GET", "/v1/models", null);
    assertThat(defaults.statusCode()).as(defaults.body()).isEqualTo(200);
    JsonNode list = json(defaults);
    assertThat(list.get("object").asText()).isEqualTo("list");
    assertThat(list.get("data")).hasSize(1);
    JsonNode model = list.at("/data/0");
    assertThat(model.get("id").asText()).isEqualTo("runnel-sim");
    assertThat(model.get("object").asText()).isEqualTo("model");
    assertThat(model.get("created").isIntegralNumber()).isTrue();
    assertThat(model.get("owned_by").asText()).isEqualTo("runnel");

    JsonNode allowed = json(send(twoModels, "GET", "/v1/models", null));
    assertThat(allowed.findValuesAsText("id")).containsExactly("runnel-sim", "runnel-other");
    HttpResponse<String> one = send(twoModels, "GET", "/v1/models/runnel-other", null);
    assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
    assertThat(json(one).get("id").asText()).isEqualTo("runnel-other");

    HttpResponse<String> unknown = send(twoModels, "GET", "/v1/models/gpt-4o", null);
    assertError(unknown, 404, "model_not_found");
    assertThat(json(unknown).at("/error/param").asText()).isEqualTo("model");
    HttpResponse<String> notListed =
        send(
            twoModels,
            "POST",
            "/v1/chat/completions",
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertError(notListed, 404, "model_not_found");
    assertThat(json(notListed).at("/error/param").asText()).isEqualTo("model");
    assertError(send(gateway, "POST", "/v1/models", "{}"), 405, "method_not_allowed");
  }

  @Test
  void aReplyNamesTheModelUsedWhenTheRequestNamesNone() throws Exception {
    HttpResponse<String> response =
        send(
            gateway,
            "POST",
            "/v1/chat/completions",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"which model\"}]}");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    // runnel.model.default, as the topology was configured too
    assertThat(json(response).get("model").asText()).isEqualTo("runnel-sim");
    assertThat(json(response).at("/choices/0/message/content").asText())
        .isEqualTo(SimulatedReplies.reply("which model", TOKENS));
  }

  /** Each field Runnel cannot honour yet, with a value a client would send, and its name. */
  static Stream<Arguments> unsupportedParameters() {
    return Stream.of(
        Arguments.of("\"max_tokens\":5", "max_tokens"),
        Arguments.of("\"max_completion_tokens\":5", "max_completion_tokens"),
        Arguments.of("\"temperature\":0.2", "temperature"),
        Arguments.of("\"temperature\":1", "temperature"),
        Arguments.of("\"top_p\":0.5", "top_p"),
        Arguments.of("\"stop\":[\"\\n\"]", "stop"),
        Arguments.of("\"stop\":\"END\"", "stop"),
        Arguments.of("\"seed\":7", "seed"),
        Arguments.of("\"presence_penalty\":0.5", "presence_penalty"),
        Arguments.of("\"frequency_penalty\":0", "frequency_penalty"),
        Arguments.of("\"n\":2", "n"),
        Arguments.of("\"logprobs\":true", "logprobs"),
        Arguments.of(
            "\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"f\"}}]", "tools[0].type"),
        Arguments.of("\"tool_choice\":\"required\"", "tool_choice"),
        Arguments.of("\"response_format\":{\"type\":\"json_object\"}", "response_format"),
        Arguments.of("\"reasoning_effort\":\"low\"", "reasoning_effort"),
        Arguments.of("\"store\":true", "store"),
        Arguments.of("\"top_k\":40", "top_k"),
        Arguments.of(
            "\"stream\":true,\"stream_options\":{\"include_obfuscation\":true}",
            "stream_options.include_obfuscation"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("unsupportedParameters")
  void aParameterRunnelCannotHonourIsA400NamingIt(String field, String param) throws Exception {
    String body =
        "{\"model\":\"runnel-sim\","
            + field
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    HttpResponse<String> response = send(gateway, "POST", "/v1/chat/completions", body);

    assertError(response, 400, "unsupported_parameter");
    JsonNode error = json(response).get("error");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    assertThat(error.get("param").asText()).isEqualTo(param);
    assertThat(error.get("message").asText()).contains("'" + param + "'");
    assertThat(response.headers().firstValue("x-should-retry")).contains("false");
  }

  @Test
  void parametersAtTheirNeutralValueAreAccepted() throws Exception {
    String body =
        """
        {"model":"runnel-sim","stream":false,"n":1,"temperature":null,"max_tokens":null,
         "tools":[],"tool_choice":"none","response_format":{"type":"text"},"logprobs":false,
         "stream_options":null,"messages":[{"role":"user","content":"neutral"}]}
        """;
    HttpResponse<String> response = send(gateway, "POST", "/v1/chat/completions", body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).at("/choices/0/message/content").asText())
        .isEqualTo(SimulatedReplies.reply("neutral", TOKENS));
  }

  @Test
  void userIsTheEndUsersIdRecordedOnThePromptNotTheSession() throws Exception {
    String requestId = "r-" + UUID.randomUUID();
    String body =
        """
        {"model":"runnel-sim","user":"John Smith","messages":[{"role":"user","content":"who am i"}]}
        """;
    HttpResponse<String> response =
        send(gateway, "POST", "/v1/chat/completions", body, "Idempotency-Key", requestId);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).at("/choices/0/message/content").asText())
        .isEqualTo(SimulatedReplies.reply("who am i", TOKENS));
    String session = response.headers().firstValue("X-Runnel-Session").orElseThrow();
    assertThat(session).startsWith("chat-");
    Prompt prompt = promptOf(session, requestId);
    assertThat(prompt.getAttributes()).containsEntry("user", "John Smith");
    assertThat(prompt.getModel()).isEqualTo("runnel-sim");

    HttpResponse<String> named =
        send(
            gateway,
            "POST",
            "/v1/chat/completions",
            body,
            "X-Runnel-Session",
            session,
            "Idempotency-Key",
            requestId + "-2");
    assertThat(named.statusCode()).as(named.body()).isEqualTo(200);
    assertThat(named.headers().firstValue("X-Runnel-Session")).contains(session);
    assertError(
        send(
            gateway,
            "POST",
            "/v1/chat/completions",
            "{\"user\":42,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        400,
        "bad_user");
  }

  /** The prompt the gateway wrote to the prompts topic for {@code requestId}. */
  private static Prompt promptOf(String session, String requestId) {
    Topic<String, Prompt> topic = Topics.from(new RunnelConfig(stack.settings())).prompts();
    try (KafkaConsumer<String, Prompt> consumer =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                broker.bootstrapServers(),
                "group.id",
                "gw-http-prompts-" + UUID.randomUUID(),
                "auto.offset.reset",
                "earliest"),
            topic.keySerde().deserializer(),
            topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      List<Prompt> found = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, Prompt> r : consumer.poll(Duration.ofMillis(200))) {
                  if (r.key().equals(session) && requestId.equals(r.value().getRequestId())) {
                    found.add(r.value());
                  }
                }
                return !found.isEmpty();
              });
      return found.get(0);
    }
  }

  @Test
  void badRequestsGetClearJsonErrors() throws Exception {
    String session = session();
    String prompts = "/v1/sessions/" + session + "/prompts";
    assertError(send(gateway, "POST", prompts, "{not json"), 400, "bad_json");
    assertError(send(gateway, "POST", prompts, "[1,2]"), 400, "bad_json");
    assertError(send(gateway, "POST", prompts, ""), 400, "bad_json");
    assertError(send(gateway, "POST", prompts, promptBody("   ")), 400, "empty_prompt");
    assertError(send(gateway, "POST", prompts, "{\"prompt\":42}"), 400, "bad_prompt");
    assertError(
        send(gateway, "POST", prompts, promptBody("x".repeat(32_769))), 400, "prompt_too_long");
    assertError(
        send(gateway, "POST", prompts, promptBody("hi"), "Idempotency-Key", "no spaces allowed"),
        400,
        "bad_idempotency_key");
    assertError(
        send(gateway, "POST", prompts, promptBody("y".repeat(70_000))), 413, "body_too_large");
    assertError(send(gateway, "GET", prompts, null), 405, "method_not_allowed");
    assertError(
        send(
            gateway,
            "POST",
            "/v1/sessions/" + URLEncoder.encode("bad id!", StandardCharsets.UTF_8) + "/prompts",
            promptBody("hi")),
        400,
        "bad_session_id");
    assertError(
        send(gateway, "GET", "/v1/sessions/" + "z".repeat(129), null), 400, "bad_session_id");
    assertError(send(gateway, "GET", "/nothing/here", null), 404, "not_found");
    assertError(
        send(gateway, "GET", "/v1/sessions/" + session + "/events", null, "Last-Event-ID", "x"),
        400,
        "bad_last_event_id");
    assertError(
        send(gateway, "POST", "/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}"),
        400,
        "bad_messages");
    assertError(
        send(
            gateway,
            "POST",
            "/v1/chat/completions",
            "{\"messages\":[{\"role\":\"assistant\",\"content\":\"hi\"}]}"),
        400,
        "bad_messages");
  }

  private static void assertError(HttpResponse<String> response, int status, String code)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json");
    JsonNode error = json(response).get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).isNotBlank();
  }

  @Test
  void healthReadinessAndMetrics() throws Exception {
    assertThat(send(gateway, "GET", "/health", null).statusCode()).isEqualTo(200);
    HttpResponse<String> ready = send(gateway, "GET", "/ready", null);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(json(ready).get("status").asText()).isEqualTo("READY");
    HttpResponse<String> metrics = send(gateway, "GET", "/metrics", null);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("runnel_gateway_watchers")
        .contains("runnel_gateway_chunk_consumers 1.0")
        .contains("jvm_threads_live_threads");
  }

  @Test
  void thePageIsServed() throws Exception {
    HttpResponse<String> page = send(gateway, "GET", "/", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.body()).contains("EventSource").contains("/prompts");
  }
}
