package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.tool.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
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
  private static final Path NODE_DIR = Path.of("src/test/node");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static McpTools server;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(onPath("node") && onPath("npm"), "node and npm are needed");
    if (!Files.isDirectory(NODE_DIR.resolve("node_modules"))) {
      Process ci =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(NODE_DIR.toFile())
              .inheritIO()
              .start();
      assertThat(ci.waitFor()).isZero();
    }
    server =
        McpTools.stdio(
                "node",
                NODE_DIR
                    .resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js")
                    .toString(),
                "stdio")
            .env("RUNNEL_MCP_TEST", "from-runnel")
            .connect();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static boolean onPath(String command) {
    return Files.exists(Path.of("/usr/bin", command))
        || Files.exists(Path.of("/usr/local/bin", command));
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
  void anUnknownToolIsNamed() {
    assertThatThrownBy(() -> server.tool("nope"))
        .isInstanceOf(McpException.class)
        .hasMessageContaining("no tool named 'nope'")
        .hasMessageContaining("echo");
  }

  @Test
  void aCommandThatDoesNotExistIsNamed() {
    assertThatThrownBy(() -> McpTools.stdio("no-such-mcp-server").connect())
        .isInstanceOf(McpException.class)
        .hasMessageContaining("'no-such-mcp-server'");
  }
}
