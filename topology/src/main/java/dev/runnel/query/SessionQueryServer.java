package dev.runnel.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.schemas.SessionState;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A topology instance's state-query endpoint: {@code GET /sessions/{id}} answers a session's latest
 * {@link SessionState} as JSON ({@link SessionStateJson}) through Kafka Streams interactive
 * queries. The instance that owns the session's partition answers from its local store; any other
 * instance forwards the request to the owner's {@code application.server}, so a client may ask any
 * instance.
 *
 * <p>Answers: 200 with the state; 404 for a session with no state; 503 while the owner is unknown
 * (rebalancing, restoring) or unreachable. Errors are {@code {"error":{"code":..,"message":..}}}.
 */
public final class SessionQueryServer implements AutoCloseable {
  /** Path prefix of the endpoint. */
  public static final String PATH = "/sessions/";

  // Marks a forwarded request, so two instances that disagree about ownership during a rebalance
  // answer 503 instead of forwarding to each other forever.
  private static final String FORWARDED_HEADER = "X-Runnel-Forwarded";
  private static final Logger log = LoggerFactory.getLogger(SessionQueryServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpClient client;
  private volatile KafkaStreams streams;
  private volatile HostInfo self;

  private SessionQueryServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /**
   * Listens on {@code bind} (port 0 picks a free one) and answers 503 until {@link #serve}. Bound
   * first, so that its real port can go into {@code application.server} before Kafka Streams is
   * created.
   */
  public static SessionQueryServer bind(InetSocketAddress bind) {
    HttpServer server;
    try {
      server = HttpServer.create(bind, 0);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot serve session queries on " + bind, e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "runnel-query");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    SessionQueryServer query = new SessionQueryServer(server, executor);
    server.createContext(PATH, query::handle);
    server.start();
    return query;
  }

  /**
   * Starts answering from {@code streams}.
   *
   * @param self this instance's {@code application.server}, as the other instances see it
   */
  public void serve(KafkaStreams streams, HostInfo self) {
    this.self = self;
    this.streams = streams;
  }

  /** The bound address (the real port when started on port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        send(exchange, 405, error("method_not_allowed", "only GET is served"));
        return;
      }
      String raw = exchange.getRequestURI().getRawPath().substring(PATH.length());
      String sessionId = URLDecoder.decode(raw, StandardCharsets.UTF_8);
      if (sessionId.isEmpty()) {
        send(exchange, 400, error("bad_session_id", "the session id is empty"));
        return;
      }
      boolean forwarded = exchange.getRequestHeaders().containsKey(FORWARDED_HEADER);
      Answer answer = answer(sessionId, forwarded);
      send(exchange, answer.status(), answer.body());
    }
  }

  private Answer answer(String sessionId, boolean forwarded) {
    KafkaStreams streams = this.streams;
    if (streams == null) {
      return new Answer(503, error("unavailable", "this instance is starting"));
    }
    KeyQueryMetadata metadata;
    try {
      metadata =
          streams.queryMetadataForKey(
              RunnelTopology.SESSION_STATE_STORE, sessionId, Serdes.String().serializer());
    } catch (IllegalStateException e) {
      return new Answer(
          503, error("unavailable", "Kafka Streams is not running: " + e.getMessage()));
    }
    if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      return new Answer(503, error("unavailable", "the owner of this session is not known yet"));
    }
    if (metadata.activeHost().equals(self)) {
      return local(sessionId, metadata.partition());
    }
    if (forwarded) {
      return new Answer(
          503, error("unavailable", "ownership of this session is moving; try again shortly"));
    }
    return forward(sessionId, metadata.activeHost());
  }

  private Answer local(String sessionId, int partition) {
    KafkaStreams streams = this.streams;
    try {
      ReadOnlyKeyValueStore<String, SessionState> store =
          streams.store(
              StoreQueryParameters.fromNameAndType(
                      RunnelTopology.SESSION_STATE_STORE,
                      QueryableStoreTypes.<String, SessionState>keyValueStore())
                  .withPartition(partition));
      SessionState state = store.get(sessionId);
      if (state == null) {
        return new Answer(404, error("unknown_session", "no state for session " + sessionId));
      }
      return new Answer(200, JSON.writeValueAsString(SessionStateJson.toJson(state)));
    } catch (InvalidStateStoreException e) {
      return new Answer(503, error("unavailable", "the store is not queryable: " + e.getMessage()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Answer forward(String sessionId, HostInfo owner) {
    URI uri =
        URI.create(
            "http://"
                + owner.host()
                + ":"
                + owner.port()
                + PATH
                + URLEncoder.encode(sessionId, StandardCharsets.UTF_8).replace("+", "%20"));
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(5))
            .header(FORWARDED_HEADER, self.host() + ":" + self.port())
            .GET()
            .build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body());
    } catch (IOException e) {
      log.debug("Forwarding a session query to {} failed", uri, e);
      return new Answer(503, error("unavailable", "the owner " + owner + " did not answer"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(503, error("unavailable", "interrupted"));
    }
  }

  private static String error(String code, String message) {
    try {
      return JSON.writeValueAsString(Map.of("error", Map.of("code", code, "message", message)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private record Answer(int status, String body) {}
}
