package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The MCP reference server the tests run, {@code @modelcontextprotocol/server-everything}, pinned
 * in {@code src/test/node/package-lock.json}: installed with {@code npm ci} when missing, run by
 * Node. Tests that need it are skipped where {@code node} or {@code npm} is not on the PATH.
 */
final class ReferenceServer implements AutoCloseable {
  static final Path NODE_DIR = Path.of("src/test/node");
  static final Path MAIN =
      NODE_DIR.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");

  private final Process process;
  private final int port;

  private ReferenceServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Skips the test without Node; installs the pinned server when it is not installed. */
  static void install() throws IOException, InterruptedException {
    assumeTrue(onPath("node") && onPath("npm"), "node and npm are needed");
    if (!Files.isRegularFile(MAIN)) {
      Process ci =
          new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
              .directory(NODE_DIR.toFile())
              .inheritIO()
              .start();
      assertThat(ci.waitFor()).isZero();
    }
  }

  /** The server over stdio. */
  static McpTools.Stdio stdio() {
    return McpTools.stdio("node", MAIN.toString(), "stdio");
  }

  /**
   * The server as a process of its own in streamable HTTP mode on a free port, once it accepts
   * connections.
   */
  static ReferenceServer streamableHttp() throws IOException, InterruptedException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ProcessBuilder builder =
        new ProcessBuilder("node", MAIN.toString(), "streamableHttp")
            .redirectErrorStream(true)
            .redirectOutput(Path.of("target/server-everything-http.log").toFile());
    builder.environment().put("PORT", Integer.toString(port));
    ReferenceServer server = new ReferenceServer(builder.start(), port);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> server.process.isAlive() && server.accepts());
    } catch (RuntimeException | AssertionError e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Its MCP endpoint. */
  URI endpoint() {
    return URI.create("http://127.0.0.1:" + port + "/mcp");
  }

  private boolean accepts() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null
        && Stream.of(path.split(File.pathSeparator))
            .filter(dir -> !dir.isEmpty())
            .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }
}
