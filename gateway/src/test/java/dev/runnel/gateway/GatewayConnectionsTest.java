package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway's connections over raw sockets and its error shapes, against a real broker but no
 * topology: the test writes the chunks itself, so it decides what the gateway sees (an aborted
 * transaction, a late end). One answer per request on a keep-alive connection; idle, half-sent and
 * trickled requests closed; the connection limit; completions that only ever see committed finals.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GatewayConnectionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static TestBroker broker;
  private static SimulatedModelServer simulator;
  private static RunnelStack stack;
  private static Gateway shortCompletion;
  private static Gateway shortIdle;
  private static Gateway twoConnections;
  private static Gateway uncommittedEvents;
  private static Topic<String, Chunk> chunks;
  private static KafkaProducer<String, Chunk> producer;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBroker.start();
    simulator = SimulatedModelServer.start(SimulatorSettings.DEFAULTS);
    stack = new RunnelStack(broker, "gw-conn-" + UUID.randomUUID(), 2, simulator);
    shortCompletion =
        stack.startGateway(Map.of(RunnelConfig.GATEWAY_COMPLETION_TIMEOUT_MS_CONFIG, 1000L));
    shortIdle =
        stack.startGateway(
            Map.of(
                RunnelConfig.GATEWAY_IDLE_TIMEOUT_MS_CONFIG, 1000L,
                RunnelConfig.GATEWAY_REQUEST_TIMEOUT_MS_CONFIG, 3000L));
    twoConnections = stack.startGateway(Map.of(RunnelConfig.GATEWAY_MAX_CONNECTIONS_CONFIG, 2));
    // Event streams read uncommitted here; completions must still see committed finals only.
    uncommittedEvents =
        stack.startGateway(
            Map.of(RunnelConfig.GATEWAY_CHUNKS_ISOLATION_CONFIG, "read_uncommitted"));
    chunks = Topics.from(new RunnelConfig(stack.settings())).chunks();
    producer = producer(null);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                shortCompletion.ready()
                    && shortIdle.ready()
                    && twoConnections.ready()
                    && uncommittedEvents.ready());
  }

  @AfterAll
  static void stop() {
    if (producer != null) {
      producer.close();
    }
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

  private static KafkaProducer<String, Chunk> producer(String transactionalId) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    if (transactionalId != null) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(
        props, chunks.keySerde().serializer(), chunks.valueSerde().serializer());
  }

  private static Chunk delta(String session, String request, String callId, String text) {
    return Chunk.newBuilder()
        .setSessionId(session)
        .setRequestId(request)
        .setAttempt(1)
        .setCallId(callId)
        .setSequence(0)
        .setDelta(text)
        .build();
  }

  private static Chunk end(String session, String request, String callId) {
    return Chunk.newBuilder()
        .setSessionId(session)
        .setRequestId(request)
        .setAttempt(1)
        .setCallId(callId)
        .setSequence(1)
        .setEnd(true)
        .setFinishReason(FinishReason.STOP)
        .build();
  }

  private static void write(KafkaProducer<String, Chunk> p, Chunk chunk) throws Exception {
    p.send(new ProducerRecord<>(chunks.name(), chunk.getSessionId(), chunk)).get();
  }

  private static String completionBody() throws Exception {
    return JSON.writeValueAsString(
        Map.of("model", "m", "messages", new Object[] {Map.of("role", "user", "content", "hi")}));
  }

  /** One HTTP/1.1 response read off a raw socket. */
  private record Raw(int status, Map<String, String> headers, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  private static Raw read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
    return new Raw(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static Socket connect(Gateway g) throws IOException {
    Socket socket = new Socket(g.address().getHostString(), g.address().getPort());
    socket.setSoTimeout(15_000);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: gw\r\n\r\n";

  /** A whole chat completion request, as a client writes it on the socket. */
  private static String completionRequest(String session, String request, String body) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
        + "X-Runnel-Session: "
        + session
        + "\r\nIdempotency-Key: "
        + request
        + "\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\n\r\n"
        + body;
  }

  @Test
  void aKeepAliveConnectionGetsOneAnswerPerRequestAndNothingLate() throws Exception {
    String session = "s-" + UUID.randomUUID();
    String request = "r-" + UUID.randomUUID();
    String body = completionBody();
    try (Socket socket = connect(shortCompletion)) {
      int watchers = shortCompletion.watchers();
      send(socket, completionRequest(session, request, body));
      await().atMost(Duration.ofSeconds(10)).until(() -> shortCompletion.watchers() > watchers);
      write(producer, delta(session, request, "c", "the answer"));
      write(producer, end(session, request, "c"));

      Raw first = read(socket.getInputStream());
      assertThat(first.status()).as(first.body()).isEqualTo(200);
      assertThat(first.json().at("/choices/0/message/content").asText()).isEqualTo("the answer");

      // Past the completion timeout (1 s), nothing more may arrive for that request.
      InputStream in = socket.getInputStream();
      await()
          .during(Duration.ofMillis(2500))
          .atMost(Duration.ofSeconds(5))
          .until(() -> in.available() == 0);

      send(socket, HEALTH);
      Raw second = read(in);
      assertThat(second.status()).as(second.body()).isEqualTo(200);
      assertThat(second.json().get("status").asText()).isEqualTo("UP");
      assertThat(second.headers()).doesNotContainKey("x-runnel-session");
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    String session = "s-" + UUID.randomUUID();
    String request = "r-" + UUID.randomUUID();
    String body = completionBody();
    try (Socket socket = connect(shortIdle)) {
      int watchers = shortIdle.watchers();
      // A slow completion, then a fast health check, in one write.
      send(socket, completionRequest(session, request, body) + HEALTH);
      await().atMost(Duration.ofSeconds(10)).until(() -> shortIdle.watchers() > watchers);
      write(producer, delta(session, request, "c", "first"));
      write(producer, end(session, request, "c"));

      Raw first = read(socket.getInputStream());
      assertThat(first.status()).as(first.body()).isEqualTo(200);
      assertThat(first.json().at("/choices/0/message/content").asText()).isEqualTo("first");
      Raw second = read(socket.getInputStream());
      assertThat(second.json().get("status").asText()).isEqualTo("UP");
    }
  }

  @Test
  void aCompletionIsToldOnlyTheCommittedFinal() throws Exception {
    String session = "s-" + UUID.randomUUID();
    String request = "r-" + UUID.randomUUID();
    int watchers = uncommittedEvents.watchers();
    CompletableFuture<HttpResponse<String>> response =
        http.sendAsync(
            HttpRequest.newBuilder(URI.create(uncommittedEvents.url() + "/v1/chat/completions"))
                .header("X-Runnel-Session", session)
                .header("Idempotency-Key", request)
                .POST(HttpRequest.BodyPublishers.ofString(completionBody()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> uncommittedEvents.watchers() > watchers);
    try (KafkaProducer<String, Chunk> tx = producer("gw-test-" + UUID.randomUUID())) {
      tx.initTransactions();
      tx.beginTransaction();
      write(tx, delta(session, request, "rolled-back", "never committed"));
      write(tx, end(session, request, "rolled-back"));
      tx.abortTransaction();
      tx.beginTransaction();
      write(tx, delta(session, request, "committed", "the committed reply"));
      write(tx, end(session, request, "committed"));
      tx.commitTransaction();
    }

    HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(JSON.readTree(answer.body()).at("/choices/0/message/content").asText())
        .isEqualTo("the committed reply");
  }

  @Test
  void idleAndHalfSentConnectionsAreClosed() throws Exception {
    try (Socket idle = connect(shortIdle);
        Socket halfSent = connect(shortIdle)) {
      send(idle, HEALTH);
      assertThat(read(idle.getInputStream()).status()).isEqualTo(200);
      send(halfSent, "GET /health HTTP/1.1\r\nHost: gw\r\n");

      // The idle timeout is 1 s: both see the server close (read returns -1).
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
      assertThat(halfSent.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void aRequestTrickledInSlowerThanTheRequestTimeoutIs408() throws Exception {
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try (Socket socket = connect(shortIdle)) {
      byte[] request =
          "GET /health HTTP/1.1\r\nHost: gw\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
              .getBytes(StandardCharsets.UTF_8);
      int[] next = {0};
      // One byte every 300 ms keeps the 1 s idle timeout from firing; the 3 s deadline does.
      trickle.scheduleAtFixedRate(
          () -> {
            try {
              if (next[0] < request.length) {
                socket.getOutputStream().write(request[next[0]++]);
                socket.getOutputStream().flush();
              }
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          },
          0,
          300,
          TimeUnit.MILLISECONDS);
      Raw answer = read(socket.getInputStream());
      assertThat(answer.status()).isEqualTo(408);
      assertThat(answer.json().at("/error/code").asText()).isEqualTo("request_timeout");
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    } finally {
      trickle.shutdownNow();
    }
  }

  @Test
  void connectionsPastTheLimitAre503WithRetryAfter() throws Exception {
    try (Socket one = connect(twoConnections);
        Socket two = connect(twoConnections)) {
      send(one, HEALTH);
      send(two, HEALTH);
      assertThat(read(one.getInputStream()).status()).isEqualTo(200);
      assertThat(read(two.getInputStream()).status()).isEqualTo(200);
      try (Socket three = connect(twoConnections)) {
        Raw refused = read(three.getInputStream());
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.headers()).containsKey("retry-after");
        assertThat(refused.json().at("/error/code").asText()).isEqualTo("too_many_connections");
        assertThat(refused.json().at("/error/type").asText()).isEqualTo("server_error");
      }
    }
    // Once connections close, new ones are served again.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              try (Socket again = connect(twoConnections)) {
                send(again, HEALTH);
                assertThat(read(again.getInputStream()).status()).isEqualTo(200);
              }
            });
  }

  private static HttpResponse<String> get(Gateway g, String path, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(g.url() + path)).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode error(HttpResponse<String> response, int status) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json");
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertThat(error.get("type").asText()).isNotBlank();
    assertThat(error.get("code").asText()).isNotBlank();
    assertThat(error.get("message").asText()).isNotBlank();
    return error;
  }

  @Test
  void errorsHaveOpenAisShapeAndNameTheProblem() throws Exception {
    JsonNode longId = error(get(shortIdle, "/v1/sessions/" + "z".repeat(10_000)), 400);
    assertThat(longId.get("code").asText()).isEqualTo("request_line_too_long");
    assertThat(longId.get("message").asText()).contains("128");

    JsonNode slash = error(get(shortIdle, "/v1/sessions/a%2Fb/events"), 400);
    assertThat(slash.get("code").asText()).isEqualTo("bad_session_id");
    assertThat(slash.get("message").asText()).contains("'a/b'");

    HttpResponse<String> badJson =
        http.send(
            HttpRequest.newBuilder(URI.create(shortIdle.url() + "/v1/sessions/s/prompts"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": nope}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode json = error(badJson, 400);
    assertThat(json.get("message").asText())
        .contains("line 1")
        .doesNotContain("Unrecognized token")
        .doesNotContain("Source")
        .doesNotContain("jackson");

    HttpResponse<String> tooLarge =
        http.send(
            HttpRequest.newBuilder(URI.create(shortIdle.url() + "/v1/sessions/s/prompts"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(70_000)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(error(tooLarge, 413).get("code").asText()).isEqualTo("body_too_large");

    String session = "s-" + UUID.randomUUID();
    int theirs = Utils.toPositive(Utils.murmur2(session.getBytes(StandardCharsets.UTF_8))) % 2;
    HttpResponse<String> r =
        get(shortIdle, "/v1/sessions/" + session + "/events", "Last-Event-ID", (1 - theirs) + "-0");
    JsonNode wrong = error(r, 400);
    assertThat(wrong.get("code").asText()).isEqualTo("bad_last_event_id");
    assertThat(wrong.get("message").asText()).contains("partition " + theirs);
  }
}
