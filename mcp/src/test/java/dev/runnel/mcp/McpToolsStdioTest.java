package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.tool.Tool;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The MCP reference server (server-everything, pinned in src/test/node) run over stdio. */
@Tag("integration")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class McpToolsStdioTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static McpTools server;

  @BeforeAll
  static void start() throws Exception {
    ReferenceServer.install();
    server = ReferenceServer.stdio().env("RUNNEL_MCP_TEST", "from-runnel").connect();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void listsTheServersToolsWithTheirSchemas() {
    Tool echo = server.tool("echo");
    assertThat(echo.spec().description()).isEqualTo("Echoes back the input string");
    assertThat(echo.spec().parameters().path("properties").path("message").path("type").asText())
        .isEqualTo("string");
    assertThat(server.tools()).extracting(t -> t.spec().name()).contains("echo", "get-sum");
  }

  @Test
  void callsATool() throws Exception {
    assertThat(server.tool("echo").call(JSON.readTree("{\"message\":\"hi\"}")))
        .isEqualTo("Echo: hi");
    assertThat(server.tool("get-sum").call(JSON.readTree("{\"a\":2,\"b\":3}")))
        .isEqualTo("The sum of 2 and 3 is 5.");
  }

  @Test
  void theServerProcessGetsTheEnvironment() throws Exception {
    assertThat(server.tool("get-env").call(JSON.readTree("{}"))).contains("from-runnel");
  }

  @Test
  void aToolErrorIsAnExceptionWithTheToolsText() {
    assertThatThrownBy(() -> server.tool("echo").call(JSON.readTree("{}")))
        .isInstanceOf(McpException.class)
        .hasMessageContaining("message");
  }

  @Test
  void aCallThatOutlivesTheRequestTimeoutFailsNamingTheToolAndTheTimeout() throws Exception {
    try (McpTools impatient =
        ReferenceServer.stdio().requestTimeout(Duration.ofSeconds(1)).connect()) {
      Tool slow = impatient.tool("trigger-long-running-operation");
      assertThatThrownBy(() -> slow.call(JSON.readTree("{\"duration\":10,\"steps\":1}")))
          .isInstanceOf(McpException.class)
          .hasMessage(
              "tool 'trigger-long-running-operation' on MCP server command 'node' did not answer"
                  + " within PT1S (requestTimeout)");
    }
  }

  @Test
  void anUnknownToolIsNamed() {
    assertThatThrownBy(() -> server.tool("nope"))
        .isInstanceOf(McpException.class)
        .hasMessageContaining("no tool named 'nope'")
        .hasMessageContaining("echo");
  }

  @Test
  void aCommandThatDoesNotExistIsNamedAtOnce() {
    assertThatThrownBy(() -> McpTools.stdio("no-such-mcp-server").connect())
        .isInstanceOf(McpException.class)
        .hasMessage(
            "MCP server command 'no-such-mcp-server' is not an executable file or on the PATH");
  }

  @Test
  void aServerThatDoesNotAnswerIsReportedWithItsStderrAndWithoutItsEnvironment() {
    String token = "tok-stdio-7f3a91c2";
    // Writes its token to stderr, as a server may when it refuses it, and never answers.
    String script =
        "console.error('refusing token ' + process.env.MCP_TEST_TOKEN);"
            + " setInterval(() => {}, 1000);";
    assertThatThrownBy(
            () ->
                McpTools.stdio("node", "-e", script)
                    .env("MCP_TEST_TOKEN", token)
                    .initializationTimeout(Duration.ofSeconds(5))
                    .connect())
        .isInstanceOf(McpException.class)
        .hasMessageStartingWith(
            "MCP server command 'node' did not answer within PT5S (initializationTimeout)")
        .hasMessageEndingWith("the last lines of its stderr:\nrefusing token ***")
        .satisfies(e -> Redaction.assertNowhereIn(e, token));
  }
}
