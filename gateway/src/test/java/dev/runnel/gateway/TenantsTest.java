package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.config.RunnelConfig;
import dev.runnel.gateway.internal.ApiKeys;
import dev.runnel.gateway.internal.GatewayHandler;
import dev.runnel.schemas.Cancellation;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keys and tenants, Origin and CORS, quotas over two gateway instances, and cancel on disconnect,
 * against a real broker, one topology instance and the simulated model (one partition, so every
 * session's chunks share it and a Last-Event-ID of one tenant is a valid position for another).
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class TenantsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY_A = "key-a-" + UUID.randomUUID();
  private static final String KEY_B = "key-b-" + UUID.randomUUID();
  private static final String KEY_Q = "key-q-" + UUID.randomUUID();
  private static final String KEY_C = "key-c-" + UUID.randomUUID();
  private static final String ALLOWED_ORIGIN = "https://app.example";
  private static final int QUOTA = 3;

  private static TestBroker broker;
  private static SimulatedModelServer simulator;
  private static RunnelStack stack;
  private static Gateway gateway;
  private static Gateway quota1;
  private static Gateway quota2;
  private static Gateway cancelling;
  private static Path keysFile;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBroker.start();
    simulator =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(40)
                .withReplyTokens(40));
    stack = new RunnelStack(broker, "gw-tenants-" + UUID.randomUUID(), 1, simulator);
    KafkaStreams streams = stack.startTopology();
    keysFile = Files.createTempFile("runnel-keys-", ".txt");
    Files.writeString(
        keysFile,
        "# tenant sha256\n"
            + "tenant-a "
            + ApiKeys.hash(KEY_A)
            + "\ntenant-b "
            + ApiKeys.hash(KEY_B)
            + "\n");
    gateway =
        stack.startGateway(
            Map.of(
                RunnelConfig.GATEWAY_AUTH_MODE_CONFIG,
                RunnelConfig.AUTH_KEYS,
                RunnelConfig.GATEWAY_KEYS_FILE_CONFIG,
                keysFile.toString(),
                RunnelConfig.GATEWAY_CORS_ALLOWED_ORIGINS_CONFIG,
                ALLOWED_ORIGIN,
                // Anthropic's max_tokens is required, and must allow what Runnel asks for.
                RunnelConfig.MODEL_MAX_TOKENS_CONFIG,
                64,
                // A cancellation of a response that is not the caller's waits this long.
                RunnelConfig.GATEWAY_COMPLETION_TIMEOUT_MS_CONFIG,
                5_000L));
    Map<String, Object> quota = new HashMap<>();
    quota.put(RunnelConfig.GATEWAY_AUTH_MODE_CONFIG, RunnelConfig.AUTH_KEYS);
    quota.put(RunnelConfig.GATEWAY_KEYS_CONFIG, "tenant-q:" + ApiKeys.hash(KEY_Q));
    quota.put(RunnelConfig.GATEWAY_QUOTA_REQUESTS_PER_MINUTE_CONFIG, QUOTA);
    quota1 = stack.startGateway(quota);
    quota2 = stack.startGateway(quota);
    cancelling =
        stack.startGateway(
            Map.of(
                RunnelConfig.GATEWAY_AUTH_MODE_CONFIG, RunnelConfig.AUTH_KEYS,
                RunnelConfig.GATEWAY_KEYS_CONFIG, "tenant-c:" + ApiKeys.hash(KEY_C),
                RunnelConfig.GATEWAY_DISCONNECT_CONFIG, RunnelConfig.DISCONNECT_CANCEL));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                gateway.ready()
                    && quota1.ready()
                    && quota2.ready()
                    && cancelling.ready()
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

  private static String[] bearer(String key) {
    return new String[] {"Authorization", "Bearer " + key};
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> post(String key, String session, String prompt)
      throws Exception {
    return send(
        gateway,
        "POST",
        "/v1/sessions/" + session + "/prompts",
        "{\"prompt\":\"" + prompt + "\"}",
        "Authorization",
        "Bearer " + key,
        "Content-Type",
        "application/json");
  }

  private static JsonNode stateOnceAt(String key, String session, int version) {
    JsonNode[] state = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              HttpResponse<String> r =
                  send(gateway, "GET", "/v1/sessions/" + session, null, bearer(key));
              assertThat(r.statusCode()).isEqualTo(200);
              state[0] = json(r);
              assertThat(state[0].get("version").asInt()).isEqualTo(version);
            });
    return state[0];
  }

  private static String path(GatewayHandler.Endpoint e, String session) {
    return e.path().replace("{session}", session).replace("{response}", session);
  }

  @Test
  void everyEndpointRefusesNoKeyAndAnotherTenantsKeyNeverReachesItsSession() throws Exception {
    List<GatewayHandler.Endpoint> guarded =
        GatewayHandler.ENDPOINTS.stream().filter(e -> !e.isPublic()).toList();
    assertThat(
            GatewayHandler.ENDPOINTS.stream()
                .filter(GatewayHandler.Endpoint::isPublic)
                .map(GatewayHandler.Endpoint::name))
        .as("the endpoints anyone may call hold no session data")
        .containsExactlyInAnyOrder("page", "health", "ready");
    for (GatewayHandler.Endpoint e : guarded) {
      for (String[] headers :
          List.of(
              new String[] {"Accept", "*/*"},
              bearer("not-a-key"),
              new String[] {"x-api-key", "nope"})) {
        HttpResponse<String> r = send(gateway, e.method(), path(e, "s-1"), "{}", headers);
        assertThat(r.statusCode()).as(e.name() + " with " + headers[0]).isEqualTo(401);
        assertThat(json(r).at("/error/type").asText()).isEqualTo("authentication_error");
        assertThat(r.body()).doesNotContain("not-a-key").doesNotContain("nope");
      }
    }
    // Tenant A's session, with a known chunk position.
    String session = "shared-" + UUID.randomUUID();
    SseRecorder live =
        SseRecorder.open(
            http, URI.create(gateway.url() + "/v1/sessions/" + session + "/events"), bearer(KEY_A));
    await().atMost(Duration.ofSeconds(10)).until(() -> live.subscribed);
    assertThat(post(KEY_A, session, "only for A").statusCode()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(live::sawEnd);
    live.cancel();
    String firstEvent = live.events.get(0).id();
    // A's own response in the same session, through the Responses API.
    HttpResponse<String> created =
        send(
            gateway,
            "POST",
            "/v1/responses",
            "{\"input\":\"A asks the Responses API\"}",
            "Authorization",
            "Bearer " + KEY_A,
            "Content-Type",
            "application/json",
            GatewayHandler.SESSION_HEADER,
            session);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String responseOfA = json(created).get("id").asText();
    String replyOfA = json(created).at("/output/0/content/0/text").asText();
    assertThat(replyOfA).isNotEmpty();
    JsonNode stateOfA = stateOnceAt(KEY_A, session, 2);
    String never = "never-" + UUID.randomUUID();

    // One probe per guarded endpoint: tenant B aims at A's session; B's answer is the one for a
    // session that does not exist, and A's session is untouched. A new endpoint fails here until
    // it has a probe.
    Map<String, Consumer<GatewayHandler.Endpoint>> probes = new HashMap<>();
    probes.put(
        "session_state",
        e ->
            unchecked(
                () -> {
                  HttpResponse<String> theirs =
                      send(gateway, "GET", path(e, session), null, bearer(KEY_B));
                  HttpResponse<String> none =
                      send(gateway, "GET", path(e, never), null, bearer(KEY_B));
                  assertThat(theirs.statusCode()).isEqualTo(404).isEqualTo(none.statusCode());
                  assertThat(theirs.body().replace(session, "X"))
                      .isEqualTo(none.body().replace(never, "X"));
                  assertThat(theirs.body()).doesNotContain("only for A").doesNotContain("tenant-a");
                }));
    probes.put(
        "prompts",
        e ->
            unchecked(
                () -> {
                  HttpResponse<String> r = post(KEY_B, session, "B writes");
                  assertThat(r.statusCode()).isEqualTo(202);
                  assertThat(json(r).get("sessionId").asText()).isEqualTo(session);
                  // B's prompt went to B's own session of that name, never into A's.
                  await()
                      .atMost(Duration.ofSeconds(60))
                      .untilAsserted(
                          () -> {
                            String ofB =
                                send(
                                        gateway,
                                        "GET",
                                        path(e, session).replace("/prompts", ""),
                                        null,
                                        bearer(KEY_B))
                                    .body();
                            assertThat(ofB).contains("B writes").doesNotContain("only for A");
                          });
                }));
    probes.put(
        "approvals",
        e ->
            unchecked(
                () -> {
                  // B decides in B's own session of that name: the record is keyed by B's tenant.
                  HttpResponse<String> r =
                      send(
                          gateway,
                          "POST",
                          path(e, session),
                          "{\"callId\":\"call_1\",\"decision\":\"approved\"}",
                          bearer(KEY_B));
                  assertThat(r.statusCode()).isEqualTo(202);
                  assertThat(json(r).get("sessionId").asText()).isEqualTo(session);
                }));
    probes.put(
        "events",
        e ->
            unchecked(
                () -> {
                  SseRecorder mine =
                      SseRecorder.open(
                          http,
                          URI.create(gateway.url() + path(e, session)),
                          "Authorization",
                          "Bearer " + KEY_A,
                          "Last-Event-ID",
                          firstEvent);
                  SseRecorder theirs =
                      SseRecorder.open(
                          http,
                          URI.create(gateway.url() + path(e, session)),
                          "Authorization",
                          "Bearer " + KEY_B,
                          "Last-Event-ID",
                          firstEvent);
                  await()
                      .atMost(Duration.ofSeconds(30))
                      .until(() -> mine.sawEnd() && theirs.subscribed);
                  // A's replay from that position is complete; B's, from the same position of the
                  // same partition, holds nothing of A's.
                  assertThat(theirs.events.stream().map(SseRecorder.Event::data))
                      .noneMatch(d -> d.contains("\"tenant-a/"));
                  assertThat(theirs.text()).doesNotContain(mine.text());
                  mine.cancel();
                  theirs.cancel();
                }));
    probes.put(
        "chat_completions",
        e ->
            unchecked(
                () -> {
                  HttpResponse<String> r =
                      send(
                          gateway,
                          "POST",
                          e.path(),
                          "{\"messages\":[{\"role\":\"user\",\"content\":\"B again\"}]}",
                          "Authorization",
                          "Bearer " + KEY_B,
                          "Content-Type",
                          "application/json",
                          GatewayHandler.SESSION_HEADER,
                          session);
                  assertThat(r.statusCode()).isEqualTo(200);
                  assertThat(r.headers().firstValue(GatewayHandler.SESSION_HEADER))
                      .contains(session);
                }));
    probes.put(
        "models",
        e ->
            unchecked(
                () ->
                    assertThat(send(gateway, "GET", e.path(), null, bearer(KEY_B)).body())
                        .isEqualTo(send(gateway, "GET", e.path(), null, bearer(KEY_A)).body())));
    probes.put(
        "usage",
        e ->
            unchecked(
                () -> {
                  JsonNode usage = json(send(gateway, "GET", e.path(), null, bearer(KEY_B)));
                  assertThat(usage.get("tenant").asText()).isEqualTo("tenant-b");
                  assertThat(usage.toString()).doesNotContain("tenant-a");
                }));
    probes.put(
        "metrics",
        e ->
            unchecked(
                () ->
                    assertThat(send(gateway, "GET", e.path(), null, bearer(KEY_B)).body())
                        .doesNotContain(session)));
    probes.put(
        "responses",
        e ->
            unchecked(
                () -> {
                  // B continues "A's" response: it can only continue its own session of that name.
                  HttpResponse<String> r =
                      send(
                          gateway,
                          "POST",
                          e.path(),
                          "{\"input\":\"B follows\",\"previous_response_id\":\""
                              + responseOfA
                              + "\"}",
                          "Authorization",
                          "Bearer " + KEY_B,
                          "Content-Type",
                          "application/json");
                  assertThat(r.body()).doesNotContain(replyOfA).doesNotContain("only for A");
                }));
    probes.put(
        "response",
        e ->
            unchecked(
                () -> {
                  HttpResponse<String> ofA =
                      send(gateway, "GET", path(e, responseOfA), null, bearer(KEY_A));
                  assertThat(json(ofA).get("status").asText()).isEqualTo("completed");
                  HttpResponse<String> theirs =
                      send(gateway, "GET", path(e, responseOfA), null, bearer(KEY_B));
                  assertThat(theirs.body()).doesNotContain(replyOfA);
                  assertThat(ofA.body()).contains(replyOfA);
                  if (theirs.statusCode() == 200) {
                    assertThat(json(theirs).get("status").asText()).isNotEqualTo("completed");
                  }
                }));
    probes.put(
        "response_cancel",
        e ->
            unchecked(
                () ->
                    assertThat(
                            send(
                                    gateway,
                                    "POST",
                                    path(e, responseOfA),
                                    "{}",
                                    "Authorization",
                                    "Bearer " + KEY_B,
                                    "Content-Type",
                                    "application/json")
                                .body())
                        .doesNotContain(replyOfA)));
    probes.put(
        "messages",
        e ->
            unchecked(
                () -> {
                  HttpResponse<String> r =
                      send(
                          gateway,
                          "POST",
                          e.path(),
                          "{\"model\":\"runnel-sim\",\"max_tokens\":64,\"messages\":"
                              + "[{\"role\":\"user\",\"content\":\"B via Anthropic\"}]}",
                          "x-api-key",
                          KEY_B,
                          "Content-Type",
                          "application/json",
                          GatewayHandler.SESSION_HEADER,
                          session);
                  assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                  assertThat(r.body()).doesNotContain(replyOfA);
                }));
    assertThat(probes.keySet())
        .as("every guarded endpoint of the router has a tenant probe")
        .containsExactlyInAnyOrderElementsOf(
            guarded.stream().map(GatewayHandler.Endpoint::name).collect(Collectors.toSet()));
    // Readers first, so that no session of B's by that name exists yet when they look.
    List<GatewayHandler.Endpoint> readersFirst =
        guarded.stream().sorted(Comparator.comparing(e -> !e.method().equals("GET"))).toList();
    for (GatewayHandler.Endpoint e : readersFirst) {
      probes.get(e.name()).accept(e);
    }
    // After every probe, A's session is as A left it.
    JsonNode after = json(send(gateway, "GET", "/v1/sessions/" + session, null, bearer(KEY_A)));
    assertThat(after.get("version").asInt()).isEqualTo(2);
    assertThat(after.get("messages")).isEqualTo(stateOfA.get("messages"));
  }

  @Test
  void keysRotateWithoutARestart() throws Exception {
    String old = "rot-old-" + UUID.randomUUID();
    String fresh = "rot-new-" + UUID.randomUUID();
    String base = Files.readString(keysFile);
    assertThat(send(gateway, "GET", "/v1/models", null, bearer(old)).statusCode()).isEqualTo(401);
    Files.writeString(keysFile, base + "tenant-r " + ApiKeys.hash(old) + "\n");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> send(gateway, "GET", "/v1/models", null, bearer(old)).statusCode() == 200);
    Files.writeString(keysFile, base + "tenant-r " + ApiKeys.hash(fresh) + "\n");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> send(gateway, "GET", "/v1/models", null, "x-api-key", fresh).statusCode() == 200);
    assertThat(send(gateway, "GET", "/v1/models", null, bearer(old)).statusCode()).isEqualTo(401);
    assertThat(json(send(gateway, "GET", "/v1/usage", null, bearer(fresh))).get("tenant").asText())
        .isEqualTo("tenant-r");
  }

  @Test
  void aForeignOriginCannotActAndAnAllowedOneGetsCors() throws Exception {
    String evil = "evil-" + UUID.randomUUID();
    HttpResponse<String> forged =
        send(
            gateway,
            "POST",
            "/v1/sessions/" + evil + "/prompts",
            "{\"prompt\":\"forged\"}",
            "Origin",
            "https://evil.example",
            "Content-Type",
            "text/plain",
            "Authorization",
            "Bearer " + KEY_A);
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(json(forged).at("/error/code").asText()).isEqualTo("origin_not_allowed");
    assertThat(forged.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    // A foreign Origin is refused before the key is even looked at.
    assertThat(
            send(gateway, "GET", "/v1/models", null, "Origin", "https://evil.example").statusCode())
        .isEqualTo(403);
    HttpResponse<String> foreignPreflight =
        send(
            gateway,
            "OPTIONS",
            "/v1/chat/completions",
            null,
            "Origin",
            "https://evil.example",
            "Access-Control-Request-Method",
            "POST");
    assertThat(foreignPreflight.statusCode()).isEqualTo(403);

    HttpResponse<String> preflight =
        send(
            gateway,
            "OPTIONS",
            "/v1/chat/completions",
            null,
            "Origin",
            ALLOWED_ORIGIN,
            "Access-Control-Request-Method",
            "POST",
            "Access-Control-Request-Headers",
            "authorization, content-type");
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin"))
        .contains(ALLOWED_ORIGIN);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods").orElseThrow())
        .contains("POST");
    assertThat(
            preflight
                .headers()
                .firstValue("Access-Control-Allow-Headers")
                .orElseThrow()
                .toLowerCase())
        .contains("authorization")
        .contains("content-type");
    HttpResponse<String> allowed =
        send(
            gateway,
            "GET",
            "/v1/models",
            null,
            "Origin",
            ALLOWED_ORIGIN,
            "Authorization",
            "Bearer " + KEY_A);
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin"))
        .contains(ALLOWED_ORIGIN);
    // The gateway's own page (same origin) acts.
    String marker = "marker-" + UUID.randomUUID();
    HttpResponse<String> same =
        send(
            gateway,
            "POST",
            "/v1/sessions/" + marker + "/prompts",
            "{\"prompt\":\"same origin\"}",
            "Origin",
            gateway.url(),
            "Content-Type",
            "application/json",
            "Authorization",
            "Bearer " + KEY_A);
    assertThat(same.statusCode()).isEqualTo(202);
    // One partition: the forged prompt, had it been produced, was applied before the marker's.
    stateOnceAt(KEY_A, marker, 1);
    assertThat(send(gateway, "GET", "/v1/sessions/" + evil, null, bearer(KEY_A)).statusCode())
        .isEqualTo(404);
  }

  @Test
  void aQuotaHoldsAcrossTwoGatewayInstances() throws Exception {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < QUOTA; i++) {
      Gateway g = i % 2 == 0 ? quota1 : quota2;
      HttpResponse<String> r =
          send(g, "POST", "/v1/sessions/q-" + i + "/prompts", "{\"prompt\":\"q\"}", bearer(KEY_Q));
      statuses.add(r.statusCode());
    }
    assertThat(statuses).containsOnly(202);
    // Each instance admitted at most two; both see all three through the prompts topic.
    for (Gateway g : List.of(quota1, quota2)) {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(
                          json(send(g, "GET", "/v1/usage", null, bearer(KEY_Q)))
                              .get("requests_last_minute")
                              .asInt())
                      .isEqualTo(QUOTA));
      HttpResponse<String> r =
          send(g, "POST", "/v1/sessions/q-more/prompts", "{\"prompt\":\"q\"}", bearer(KEY_Q));
      assertThat(r.statusCode()).isEqualTo(429);
      assertThat(json(r).at("/error/type").asText()).isEqualTo("rate_limit_error");
      assertThat(json(r).at("/error/code").asText()).isEqualTo("quota_exceeded");
      assertThat(Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow()))
          .isBetween(1, 60);
      HttpResponse<String> chat =
          send(
              g,
              "POST",
              "/v1/chat/completions",
              "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}",
              "Authorization",
              "Bearer " + KEY_Q,
              "Content-Type",
              "application/json");
      assertThat(chat.statusCode()).isEqualTo(429);
    }
  }

  @Test
  void aClientThatLeavesCancelsItsGenerationAndItsTokensCount() throws Exception {
    String session = "gone-" + UUID.randomUUID();
    Topics topics = Topics.from(new RunnelConfig(stack.settings()));
    Topic<String, Cancellation> cancellations = topics.cancellations();
    // The reply is spread over two minutes, so the run is still going when the cancellation
    // arrives, however slow the machine; a one-second reply could finish first on a loaded one.
    String body =
        "{\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"a long story [[sim duration_ms=120000]]\"}]}";
    try (Socket socket = new Socket("127.0.0.1", cancelling.address().getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + KEY_C
                  + "\r\nContent-Type: application/json\r\n"
                  + GatewayHandler.SESSION_HEADER
                  + ": "
                  + session
                  + "\r\nContent-Length: "
                  + body.getBytes(StandardCharsets.UTF_8).length
                  + "\r\n\r\n"
                  + body)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder seen = new StringBuilder();
      // Read until the reply has started streaming, then go away mid-stream.
      while (!seen.toString().contains("\"content\":")) {
        int b = in.read();
        assertThat(b).as("the stream ended before any content: " + seen).isNotNegative();
        seen.append((char) b);
      }
    }
    Map<String, Object> props = new HashMap<>(stack.settings());
    props.put("auto.offset.reset", "earliest");
    props.put("isolation.level", "read_committed");
    try (KafkaConsumer<String, Cancellation> consumer =
        new KafkaConsumer<>(
            props,
            cancellations.keySerde().deserializer(),
            cancellations.valueSerde().deserializer())) {
      consumer.assign(List.of(new TopicPartition(cancellations.name(), 0)));
      List<ConsumerRecord<String, Cancellation>> found = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(found::add);
                return found.stream().anyMatch(r -> r.key().equals("tenant-c/" + session));
              });
    }
    // The run ended cancelled, and what it used counts for the tenant.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> state =
                  send(cancelling, "GET", "/v1/sessions/" + session, null, bearer(KEY_C));
              assertThat(state.statusCode()).isEqualTo(200);
              assertThat(json(state).toString()).contains("CANCELLED");
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        json(send(cancelling, "GET", "/v1/usage", null, bearer(KEY_C)))
                            .get("tokens_today")
                            .asLong())
                    .isPositive());
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void unchecked(Step step) {
    try {
      step.run();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
