package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.embedded.EmbeddedKafka;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Run against a real cluster" and the gateway README's "Run it alone", run as written
 * (the {@code bash} block under each heading, line by line) in a fresh copy of the repository,
 * against a broker in this JVM: the builds succeed, both processes start, a prompt sent to the
 * gateway is answered, and SIGTERM stops both without a stack trace.
 */
@Tag("integration")
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class ReadmeCommandsTest {
  private static final Set<String> NOT_IN_A_CLONE = Set.of("target", ".git", "node_modules");
  // The gateway refuses requests without a key; this one is its tenant "readme".
  private static final String API_KEY = "readme-" + java.util.UUID.randomUUID();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void clusterAndGatewayCommandsRunAsWrittenFromAFreshCopy(@TempDir Path tmp) throws Exception {
    Path root = RepoCommands.root();
    List<String> cluster =
        bashBlockUnder(root.resolve("README.md"), "## Run against a real cluster");
    List<String> gateway = bashBlockUnder(root.resolve("gateway/README.md"), "## Run it alone");
    assertThat(cluster).as("README: build, then start").hasSize(2);
    assertThat(gateway).as("gateway README: build, then start").hasSize(2);

    Path clone = tmp.resolve("runnel");
    RepoCommands.copy(
        root,
        root,
        clone,
        p -> p.getFileName() != null && NOT_IN_A_CLONE.contains(p.getFileName().toString()));
    RepoCommands.runToSuccess(
        cluster.get(0), clone, tmp.resolve("build-topology.log"), Duration.ofMinutes(15));
    RepoCommands.runToSuccess(
        gateway.get(0), clone, tmp.resolve("build-gateway.log"), Duration.ofMinutes(15));

    // docs/models.md: the endpoint check against the in-process simulator (the others need keys).
    List<String> check =
        bashBlockUnder(
            root.resolve("docs/models.md"), "## Check an endpoint before running the topology");
    assertThat(check.get(0))
        .as("docs/models.md builds as the README does")
        .isEqualTo(cluster.get(0));
    String classPath = check.stream().filter(c -> c.startsWith("CP=")).findFirst().orElseThrow();
    String simulated =
        check.stream()
            .filter(c -> c.startsWith("java ") && !c.contains("--provider"))
            .findFirst()
            .orElseThrow();
    Path chatLog = tmp.resolve("chat.log");
    RepoCommands.runToSuccess(classPath + "\n" + simulated, clone, chatLog, Duration.ofMinutes(2));
    assertThat(RepoCommands.read(chatLog)).as("the simulated reply").isNotBlank();

    // The configuration reference's regenerate command, on an up-to-date README, changes nothing.
    Matcher regenerate =
        Pattern.compile("Regenerate with\\s+`([^`]+)`")
            .matcher(Files.readString(root.resolve("README.md")));
    assertThat(regenerate.find()).as("README names the regenerate command").isTrue();
    RepoCommands.runToSuccess(
        regenerate.group(1).replaceAll("\\s+", " "),
        clone,
        tmp.resolve("config-docs.log"),
        Duration.ofMinutes(5));
    assertThat(clone.resolve("README.md")).hasSameTextualContentAs(root.resolve("README.md"));

    int queryPort = freePort();
    int gatewayPort = freePort();
    List<Process> started = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Files.writeString(
          clone.resolve("runnel.properties"),
          String.join(
              "\n",
              "bootstrap.servers=" + kafka.bootstrapServers(),
              "application.id=readme-cluster",
              "state.dir=" + tmp.resolve("state"),
              "runnel.topic.partitions=2",
              "runnel.metrics.port=0",
              "runnel.query.port=" + queryPort,
              ""));
      Files.writeString(
          clone.resolve("gateway.properties"),
          String.join(
              "\n",
              "bootstrap.servers=" + kafka.bootstrapServers(),
              "runnel.gateway.port=" + gatewayPort,
              "runnel.gateway.query.urls=http://127.0.0.1:" + queryPort,
              "runnel.gateway.keys=readme:" + sha256(API_KEY),
              ""));
      Path runnelLog = tmp.resolve("runnel.log");
      Path gatewayLog = tmp.resolve("gateway.log");
      // exec: the shell becomes the JVM, so the signal below reaches it.
      Process runnel = start(cluster.get(1), clone, runnelLog);
      started.add(runnel);
      // Runnel creates the topics; the gateway's first prompt must not create one by itself.
      await()
          .atMost(Duration.ofMinutes(2))
          .failFast(
              () -> assertThat(runnel.isAlive()).as(() -> RepoCommands.read(runnelLog)).isTrue())
          .until(() -> RepoCommands.read(runnelLog).contains("-> RUNNING"));
      Process gatewayProcess = start(gateway.get(1), clone, gatewayLog);
      started.add(gatewayProcess);

      String base = "http://127.0.0.1:" + gatewayPort + "/v1/sessions/readme";
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .failFast(
              () ->
                  assertThat(runnel.isAlive() && gatewayProcess.isAlive())
                      .as(
                          () ->
                              "both running; runnel:\n"
                                  + RepoCommands.read(runnelLog)
                                  + "\ngateway:\n"
                                  + RepoCommands.read(gatewayLog))
                      .isTrue())
          .ignoreExceptions()
          .until(() -> post(base + "/prompts", "{\"prompt\":\"Hello from the README\"}") == 202);
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                HttpResponse<String> state = get(base);
                assertThat(state.statusCode()).isEqualTo(200);
                assertThat(state.body())
                    .contains("\"version\":1")
                    .contains("Hello from the README");
              });

      for (Process p : started) {
        p.toHandle().destroy();
      }
      for (Process p : started) {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
      }
      assertNoStackTrace("RunnelApplication", RepoCommands.read(runnelLog));
      assertNoStackTrace("GatewayMain", RepoCommands.read(gatewayLog));
      assertThat(RepoCommands.read(runnelLog)).contains("Runnel stopped");
    } finally {
      started.forEach(Process::destroyForcibly);
    }
  }

  private static void assertNoStackTrace(String what, String output) {
    assertThat(output)
        .as("%s's output after SIGTERM:\n%s", what, output)
        .doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(")
        .doesNotContain("Exception in thread");
  }

  private static Process start(String command, Path dir, Path log) throws IOException {
    return RepoCommands.shell("exec " + command, dir)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** The commands of the first {@code bash} block after {@code heading}, continuations joined. */
  static List<String> bashBlockUnder(Path readme, String heading) throws IOException {
    List<String> lines = Files.readAllLines(readme);
    int at = lines.indexOf(heading);
    assertThat(at).as("%s has the heading %s", readme, heading).isNotNegative();
    int open = at + 1;
    while (open < lines.size() && !lines.get(open).equals("```bash")) {
      assertThat(lines.get(open)).as("no other heading before the block").doesNotStartWith("#");
      open++;
    }
    List<String> commands = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = open + 1; i < lines.size() && !lines.get(i).equals("```"); i++) {
      String line = lines.get(i);
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1);
      } else {
        commands.add(current.append(line).toString().trim());
        current.setLength(0);
      }
    }
    return commands;
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

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + API_KEY)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String sha256(String key) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
