package dev.runnel.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.embedded.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/runnel topology runnel.properties} and {@code bin/runnel gateway gateway.properties},
 * as the README shows them, against a broker in this JVM: a prompt sent to the gateway is answered,
 * and SIGTERM stops both without a stack trace.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LauncherClusterTest {
  private static final Path FOLDER = Path.of(System.getProperty("runnel.distribution.folder"));
  // The gateway refuses requests without a key; this one is its tenant "readme".
  private static final String API_KEY = "readme-" + java.util.UUID.randomUUID();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path temp;

  @Test
  void topologyAndGatewayFromTheLauncherAnswerAPrompt() throws Exception {
    int queryPort = freePort();
    int gatewayPort = freePort();
    List<Process> started = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Path runnelConfig = temp.resolve("runnel.properties");
      Files.writeString(
          runnelConfig,
          String.join(
              "\n",
              "bootstrap.servers=" + kafka.bootstrapServers(),
              "application.id=launcher-cluster",
              "state.dir=" + temp.resolve("state"),
              "runnel.topic.partitions=2",
              "runnel.metrics.port=0",
              "runnel.query.port=" + queryPort,
              ""));
      Path gatewayConfig = temp.resolve("gateway.properties");
      Files.writeString(
          gatewayConfig,
          String.join(
              "\n",
              "bootstrap.servers=" + kafka.bootstrapServers(),
              "runnel.gateway.port=" + gatewayPort,
              "runnel.gateway.query.urls=http://127.0.0.1:" + queryPort,
              "runnel.gateway.keys=readme:" + sha256(API_KEY),
              ""));
      Path runnelLog = temp.resolve("runnel.log");
      Path gatewayLog = temp.resolve("gateway.log");
      Process runnel = start(runnelLog, "topology", runnelConfig.getFileName().toString());
      started.add(runnel);
      await()
          .atMost(Duration.ofMinutes(2))
          .failFast(() -> assertThat(runnel.isAlive()).as(() -> read(runnelLog)).isTrue())
          .until(() -> read(runnelLog).contains("-> RUNNING"));
      Process gateway = start(gatewayLog, "gateway", gatewayConfig.getFileName().toString());
      started.add(gateway);

      String base = "http://127.0.0.1:" + gatewayPort + "/v1/sessions/launcher";
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .failFast(
              () ->
                  assertThat(runnel.isAlive() && gateway.isAlive())
                      .as(() -> "runnel:\n" + read(runnelLog) + "\ngateway:\n" + read(gatewayLog))
                      .isTrue())
          .ignoreExceptions()
          .until(() -> post(base + "/prompts", "{\"prompt\":\"Hello from bin/runnel\"}") == 202);
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .untilAsserted(
              () ->
                  assertThat(get(base))
                      .contains("\"version\":1")
                      .contains("Hello from bin/runnel"));

      for (Process p : started) {
        p.toHandle().destroy();
      }
      for (Process p : started) {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
      }
      assertNoStackTrace("runnel topology", read(runnelLog));
      assertNoStackTrace("runnel gateway", read(gatewayLog));
      assertThat(read(runnelLog)).contains("Runnel stopped");
    } finally {
      started.forEach(Process::destroyForcibly);
    }
  }

  private Process start(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(FOLDER.resolve("bin/runnel").toString()));
    command.addAll(List.of(args));
    // Relative file names, as in the README: the launcher resolves them in the working directory.
    return new ProcessBuilder(command)
        .directory(temp.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void assertNoStackTrace(String what, String output) {
    assertThat(output)
        .as("%s's output after SIGTERM:\n%s", what, output)
        .doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(")
        .doesNotContain("Exception in thread");
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static int post(String url, String json) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + API_KEY)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static String sha256(String key) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
