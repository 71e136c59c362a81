package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The MCP reference server (server-everything) as a process of its own in streamable HTTP mode, and
 * a server that refuses the credentials it is sent, echoing them back.
 */
@Tag("integration")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class McpToolsHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static ReferenceServer process;
  private static McpTools server;

  @BeforeAll
  static void start() throws Exception {
    ReferenceServer.install();
    process = ReferenceServer.streamableHttp();
    server =
        McpTools.streamableHttp(process.endpoint())
            .bearerToken("tok-http-unused-by-the-reference-server")
            .connect();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (process != null) {
      process.close();
    }
  }

  @Test
  void listsAndCallsTheServersTools() throws Exception {
    assertThat(server.tools()).extracting(t -> t.spec().name()).contains("echo", "get-sum");
    assertThat(server.tool("echo").call(JSON.readTree("{\"message\":\"over http\"}")))
        .isEqualTo("Echo: over http");
    assertThat(server.tool("get-sum").call(JSON.readTree("{\"a\":40,\"b\":2}")))
        .isEqualTo("The sum of 40 and 2 is 42.");
  }

  @Test
  void aToolErrorIsAnExceptionWithTheToolsText() {
    assertThatThrownBy(() -> server.tool("get-sum").call(JSON.readTree("{\"a\":1}")))
        .isInstanceOf(McpException.class)
        .hasMessageContaining("b");
  }

  @Test
  void theHeadersAreSentAndNeverShownWhenTheServerRefusesThem() throws Exception {
    String token = "tok-bearer-5b1e77d0";
    String apiKey = "key-9c04aa3e";
    try (Refusing refusing = new Refusing()) {
      assertThatThrownBy(
              () ->
                  McpTools.streamableHttp(refusing.endpoint(""))
                      .bearerToken(token)
                      .header("X-Api-Key", apiKey)
                      .initializationTimeout(Duration.ofSeconds(10))
                      .connect())
          .isInstanceOf(McpException.class)
          .hasMessageStartingWith("MCP server " + refusing.endpoint("") + " did not start")
          .hasMessageContaining("refused ***")
          .satisfies(e -> Redaction.assertNowhereIn(e, token, apiKey));
      assertThat(refusing.received).containsEntry("Authorization", "Bearer " + token);
      assertThat(refusing.received).containsEntry("X-api-key", apiKey);
    }
  }

  @Test
  void aUrlsUserInfoIsSentAsBasicAuthenticationAndNeverShown() throws Exception {
    String password = "pw-3e8d21f6";
    String basic =
        Base64.getEncoder().encodeToString(("runnel:" + password).getBytes(StandardCharsets.UTF_8));
    try (Refusing refusing = new Refusing()) {
      assertThatThrownBy(
              () ->
                  McpTools.streamableHttp(refusing.endpoint("runnel:" + password + "@"))
                      .initializationTimeout(Duration.ofSeconds(10))
                      .connect())
          .isInstanceOf(McpException.class)
          .hasMessageStartingWith("MCP server " + refusing.endpoint("") + " did not start")
          .satisfies(e -> Redaction.assertNowhereIn(e, password, basic));
      assertThat(refusing.received).containsEntry("Authorization", "Basic " + basic);
    }
  }

  @Test
  void anEndpointThatIsNotAnHttpUrlIsRefusedWithoutShowingIt() {
    assertThatThrownBy(() -> McpTools.streamableHttp(URI.create("ftp://user:pw-secret@host/mcp")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scheme 'ftp'")
        .satisfies(e -> Redaction.assertNowhereIn(e, "pw-secret"));
  }

  /** Answers 400 to everything, quoting the credentials it got, as some servers do. */
  private static final class Refusing implements AutoCloseable {
    final Map<String, String> received = new ConcurrentHashMap<>();
    private final HttpServer http;

    Refusing() throws IOException {
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext(
          "/mcp",
          exchange -> {
            for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
              received.put(header.getKey(), header.getValue().get(0));
            }
            byte[] body =
                JSON.writeValueAsBytes(
                    Map.of(
                        "error",
                        "refused "
                            + exchange.getRequestHeaders().getFirst("Authorization")
                            + " and "
                            + exchange.getRequestHeaders().getFirst("X-Api-Key")));
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(400, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      http.start();
    }

    URI endpoint(String userInfo) {
      return URI.create("http://" + userInfo + "127.0.0.1:" + http.getAddress().getPort() + "/mcp");
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }
}
