package dev.runnel.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * An in-process schema registry implementing exactly the endpoints Runnel's serdes call, with the
 * status codes and error bodies of the common REST API, and failures that a test can inject.
 */
public final class FakeSchemaRegistry implements AutoCloseable {
  private static final Pattern REGISTER = Pattern.compile("/subjects/([^/]+)/versions");
  private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(\\d+)");

  private final ObjectMapper json = new ObjectMapper();
  private final HttpServer server;
  private final Map<String, Integer> idsByCanonicalSchema = new ConcurrentHashMap<>();
  private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
  private final Map<String, Integer> refusedSubjects = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(100);
  private final List<String> requests = new ArrayList<>();
  private volatile String requiredAuthorization;

  public FakeSchemaRegistry() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Answers registrations under {@code subject} with {@code status} from now on. */
  public void refuse(String subject, int status) {
    refusedSubjects.put(subject, status);
  }

  public void requireAuthorization(String header) {
    requiredAuthorization = header;
  }

  /** Requests received, as {@code METHOD path}. */
  public synchronized List<String> requests() {
    return List.copyOf(requests);
  }

  public synchronized long count(String methodAndPath) {
    return requests.stream().filter(methodAndPath::equals).count();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      synchronized (this) {
        requests.add(method + " " + path);
      }
      if (requiredAuthorization != null
          && !requiredAuthorization.equals(
              exchange.getRequestHeaders().getFirst("Authorization"))) {
        respond(exchange, 401, error(401, "Unauthorized"));
        return;
      }
      Matcher register = REGISTER.matcher(path);
      Matcher byId = BY_ID.matcher(path);
      if (method.equals("POST") && register.matches()) {
        String subject = URLDecoder.decode(register.group(1), StandardCharsets.UTF_8);
        register(exchange, subject);
      } else if (method.equals("GET") && byId.matches()) {
        String schema = schemasById.get(Integer.parseInt(byId.group(1)));
        if (schema == null) {
          respond(exchange, 404, error(40403, "Schema " + byId.group(1) + " not found"));
        } else {
          respond(exchange, 200, json.writeValueAsString(Map.of("schema", schema)));
        }
      } else {
        respond(exchange, 404, error(404, "HTTP 404 Not Found"));
      }
    }
  }

  private void register(HttpExchange exchange, String subject) throws IOException {
    Integer refusal = refusedSubjects.get(subject);
    if (refusal != null) {
      String message =
          refusal == 409
              ? "Schema being registered is incompatible with an earlier schema for subject \""
                  + subject
                  + "\""
              : "Internal Server Error";
      respond(exchange, refusal, error(refusal == 409 ? 409 : 50001, message));
      return;
    }
    if (!exchange
        .getRequestHeaders()
        .getFirst("Content-Type")
        .startsWith("application/vnd.schemaregistry")) {
      respond(exchange, 415, error(415, "Unsupported media type"));
      return;
    }
    JsonNode body = json.readTree(exchange.getRequestBody());
    Schema schema;
    try {
      schema = new Schema.Parser().parse(body.get("schema").asText());
    } catch (RuntimeException e) {
      respond(exchange, 422, error(42201, "Invalid schema: " + e.getMessage()));
      return;
    }
    String canonical = schema.toString();
    int id = idsByCanonicalSchema.computeIfAbsent(canonical, s -> nextId.getAndIncrement());
    schemasById.put(id, canonical);
    respond(exchange, 200, json.writeValueAsString(Map.of("id", id)));
  }

  private String error(int code, String message) throws IOException {
    return json.writeValueAsString(Map.of("error_code", code, "message", message));
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
