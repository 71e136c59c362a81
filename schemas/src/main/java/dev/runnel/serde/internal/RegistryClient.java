package dev.runnel.serde.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Client for the two endpoints of the schema-registry REST API that Runnel's serdes use, as
 * Confluent Schema Registry, Apicurio's compatible API, Karapace and Redpanda all serve them:
 * {@code POST /subjects/{subject}/versions} (register, or look up if already registered) and {@code
 * GET /schemas/ids/{id}}. Answers are cached both ways for the life of the client, so once a schema
 * is known no record causes a network call.
 */
public final class RegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final int MAX_BODY_IN_ERROR = 500;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http;
  private final URI base;
  private final String shownUrl;
  private final String authorization;
  private final Duration timeout;
  private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  /**
   * @param url base URL of the registry, such as {@code http://registry:8081}; user info in the URL
   *     is not allowed, pass credentials as {@code basicAuthUserInfo}
   * @param basicAuthUserInfo {@code user:password} for HTTP basic authentication, or null
   * @param timeout connect and request timeout
   */
  public RegistryClient(String url, String basicAuthUserInfo, Duration timeout) {
    URI parsed;
    try {
      parsed = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Schema registry URL '" + url + "' is not a URI", e);
    }
    if (parsed.getScheme() == null
        || !(parsed.getScheme().equals("http") || parsed.getScheme().equals("https"))
        || parsed.getHost() == null) {
      throw new IllegalArgumentException(
          "Schema registry URL '" + url + "' must be an absolute http or https URL");
    }
    if (parsed.getUserInfo() != null) {
      // A password in the URL would end up in every error message and log line that names it.
      throw new IllegalArgumentException(
          "Schema registry URL must not carry credentials; use the basic auth user info setting");
    }
    this.base = parsed;
    this.shownUrl = parsed.toString();
    this.authorization =
        basicAuthUserInfo == null || basicAuthUserInfo.isEmpty()
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The registry's URL as shown in messages. */
  public String url() {
    return shownUrl;
  }

  /** The id of {@code schema} under {@code subject}, registering it on first use. */
  public int register(String subject, Schema schema) {
    Map<Schema, Integer> ids =
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    Integer cached = ids.get(schema);
    if (cached != null) {
      return cached;
    }
    String body;
    try {
      body = json.writeValueAsString(Map.of("schema", schema.toString()));
    } catch (IOException e) {
      throw new SerializationException("Cannot write the registration request: " + e, e);
    }
    String path = "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions";
    HttpRequest request =
        request(path)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    JsonNode answer = send(request, "registering a schema under subject '" + subject + "'");
    JsonNode id = answer.get("id");
    if (id == null || !id.canConvertToInt()) {
      throw new SerializationException(
          "Schema registry at "
              + shownUrl
              + " answered the registration under subject '"
              + subject
              + "' without an id: "
              + truncate(answer.toString()));
    }
    ids.put(schema, id.intValue());
    schemasById.putIfAbsent(id.intValue(), schema);
    return id.intValue();
  }

  /** The schema registered with {@code id}. */
  public Schema schema(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = send(request("/schemas/ids/" + id).GET().build(), "reading schema id " + id);
    JsonNode text = answer.get("schema");
    if (text == null || !text.isTextual()) {
      throw new SerializationException(
          "Schema registry at "
              + shownUrl
              + " answered schema id "
              + id
              + " without a schema: "
              + truncate(answer.toString()));
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(text.asText());
    } catch (RuntimeException e) {
      throw new SerializationException(
          "Schema id " + id + " from " + shownUrl + " is not an Avro schema: " + e.getMessage(), e);
    }
    Schema raced = schemasById.putIfAbsent(id, schema);
    return raced == null ? schema : raced;
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Accept", CONTENT_TYPE + ", application/json")
            .header("Content-Type", CONTENT_TYPE);
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return builder;
  }

  private JsonNode send(HttpRequest request, String what) {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SerializationException(
          "Schema registry at " + shownUrl + " is unreachable while " + what + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SerializationException(
          "Interrupted while " + what + " at schema registry " + shownUrl, e);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      throw new SerializationException(
          "Schema registry at "
              + shownUrl
              + " refused "
              + what
              + ": HTTP "
              + status
              + meaning(status)
              + describeError(response.body()));
    }
    try {
      return json.readTree(response.body());
    } catch (IOException e) {
      throw new SerializationException(
          "Schema registry at "
              + shownUrl
              + " answered "
              + what
              + " with something other than JSON: "
              + truncate(response.body()),
          e);
    }
  }

  private static String meaning(int status) {
    return switch (status) {
      case 401, 403 -> " (credentials missing or not allowed)";
      case 404 -> " (not found)";
      case 409 -> " (incompatible with the subject's earlier versions)";
      case 422 -> " (invalid schema)";
      default -> "";
    };
  }

  private String describeError(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    try {
      JsonNode error = json.readTree(body);
      if (error.has("message")) {
        String code = error.has("error_code") ? " error_code " + error.get("error_code") : "";
        return ";" + code + " " + truncate(error.get("message").asText());
      }
    } catch (IOException e) {
      // Not JSON: the raw body, shortened, says enough.
    }
    return "; " + truncate(body);
  }

  private static String truncate(String text) {
    return text.length() <= MAX_BODY_IN_ERROR ? text : text.substring(0, MAX_BODY_IN_ERROR) + "...";
  }
}
