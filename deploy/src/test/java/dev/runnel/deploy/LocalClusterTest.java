package dev.runnel.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/local-cluster.sh} as a user runs it: {@code start} brings up the whole cluster as
 * separate processes, prompts in two sessions go through the gateway's OpenAI-compatible streaming
 * API, the streamed replies are the replies in the session states, the Connect sink's PostgreSQL
 * rows equal those states, and {@code stop} leaves no process of the cluster behind.
 */
@Tag("integration")
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class LocalClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Path SCRIPT = repoRoot().resolve("deploy/local-cluster.sh");

  /** Offsets from the port base that local-cluster.sh listens on. */
  private static final int[] PORT_OFFSETS = {
    11, 12, 13, 21, 22, 23, 30, 41, 42, 51, 52, 60, 70, 80
  };

  @TempDir Path temp;

  // The key the script wrote for its gateway's one tenant.
  private static volatile String apiKey;

  private static final String TENANT = "local/";

  @Test
  void startedClusterStreamsRepliesThatTheSessionsAndTheirRowsHold() throws Exception {
    Path dir = temp.resolve("cluster");
    int base = freePortBase();
    List<Long> pids = new ArrayList<>();
    try {
      Run start = script(dir, base, "start");
      assertThat(start.exitCode).as("start:\n%s", start.output).isZero();
      pids.addAll(pidsOf(dir));
      assertThat(pids).as("the eight JVMs and PostgreSQL").hasSize(9);

      apiKey = Files.readString(dir.resolve("gateway-api-key")).strip();
      String gateway = "http://127.0.0.1:" + (base + 60);
      String id = Long.toString(System.nanoTime(), 36);
      List<String> sessions = List.of("alpha-" + id, "beta-" + id);
      List<CompletableFuture<Map<String, String>>> replies = new ArrayList<>();
      for (String session : sessions) {
        replies.add(
            CompletableFuture.supplyAsync(
                () -> {
                  Map<String, String> byRequest = new LinkedHashMap<>();
                  for (int turn = 1; turn <= 3; turn++) {
                    String requestId = session + "-" + turn;
                    byRequest.put(
                        requestId,
                        streamCompletion(
                            gateway, session, requestId, "Turn " + turn + " of " + session));
                  }
                  return byRequest;
                }));
      }

      Map<String, JsonNode> states = new HashMap<>();
      for (int i = 0; i < sessions.size(); i++) {
        String session = sessions.get(i);
        Map<String, String> streamed = replies.get(i).get(3, TimeUnit.MINUTES);
        JsonNode state = JSON.readTree(get(gateway + "/v1/sessions/" + session));
        assertThat(state.get("version").asLong()).isEqualTo(3);
        assertThat(state.get("lastStatus").asText()).isEqualTo("COMPLETED");
        Map<String, String> assistant = new LinkedHashMap<>();
        for (JsonNode message : state.get("messages")) {
          if (message.get("role").asText().equals("assistant")) {
            assistant.put(message.get("requestId").asText(), message.get("content").asText());
          }
        }
        assertThat(streamed.values()).allSatisfy(text -> assertThat(text).isNotBlank());
        assertThat(assistant)
            .as("each streamed reply is the final reply in the session state")
            .isEqualTo(streamed);
        states.put(session, state);
      }

      String jdbc = "jdbc:postgresql://127.0.0.1:" + (base + 70) + "/runnel";
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                Map<String, Map<String, String>> rows = rows(jdbc);
                // The gateway keys every session by its tenant: the script's key is tenant "local".
                for (String session : sessions) {
                  assertThat(rows).containsKey(TENANT + session);
                  assertThat(rows.get(TENANT + session)).containsEntry("version", "3");
                }
              });
      Map<String, Map<String, String>> rows = rows(jdbc);
      for (String session : sessions) {
        JsonNode state = states.get(session);
        Map<String, String> row = rows.get(TENANT + session);
        assertThat(row)
            .containsEntry("last_request_id", state.get("lastRequestId").asText())
            .containsEntry("last_status", "completed")
            .containsEntry("total_tokens", state.get("usage").get("totalTokens").asText());
        List<List<String>> rowMessages = new ArrayList<>();
        for (JsonNode m : JSON.readTree(row.get("messages"))) {
          rowMessages.add(
              List.of(
                  m.get("role").asText(), m.get("content").asText(), m.get("request_id").asText()));
        }
        List<List<String>> stateMessages = new ArrayList<>();
        for (JsonNode m : state.get("messages")) {
          stateMessages.add(
              List.of(
                  m.get("role").asText(), m.get("content").asText(), m.get("requestId").asText()));
        }
        assertThat(rowMessages)
            .as("the row's conversation is the session's")
            .isEqualTo(stateMessages);
      }
    } finally {
      Run stop = script(dir, base, "stop");
      assertThat(stop.exitCode).as("stop:\n%s", stop.output).isZero();
    }
    assertNothingLeft(dir, pids);
  }

  @Test
  void failedStartStopsWhatItHadStarted() throws Exception {
    Path dir = temp.resolve("cluster");
    int base = freePortBase();
    // PostgreSQL cannot listen, after the simulator has started.
    try (ServerSocket taken = new ServerSocket(base + 70, 1, InetAddress.getLoopbackAddress())) {
      assertThat(taken.isBound()).isTrue();
      Run start = script(dir, base, "start");
      assertThat(start.exitCode).as("start:\n%s", start.output).isNotZero();
      assertThat(start.output)
          .contains("started simulator")
          .contains("PostgreSQL did not start on port " + (base + 70))
          .contains("stopped simulator");
    }
    Run stop = script(dir, base, "stop");
    assertThat(stop.exitCode).as("stop:\n%s", stop.output).isZero();
    assertNothingLeft(dir, List.of());
  }

  private static void assertNothingLeft(Path dir, List<Long> pids) {
    // A process that stop has ended may still wait to be reaped by its new parent for a moment.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              for (long pid : pids) {
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .as("process %d still runs", pid)
                    .isFalse();
              }
              List<String> left =
                  ProcessHandle.allProcesses()
                      .filter(ProcessHandle::isAlive)
                      .map(p -> p.info().commandLine().orElse(""))
                      .filter(line -> line.contains(dir.toString()))
                      .toList();
              assertThat(left).as("processes of the cluster after stop").isEmpty();
            });
  }

  /** One reply through POST /v1/chat/completions with stream: true, the deltas concatenated. */
  private static String streamCompletion(
      String gateway, String session, String requestId, String prompt) {
    try {
      String body =
          JSON.writeValueAsString(
              Map.of(
                  "model",
                  "runnel-sim",
                  "stream",
                  true,
                  "messages",
                  List.of(Map.of("role", "user", "content", prompt))));
      HttpResponse<InputStream> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(gateway + "/v1/chat/completions"))
                  .header("Content-Type", "application/json")
                  .header("Authorization", "Bearer " + apiKey)
                  .header("X-Runnel-Session", session)
                  .header("Idempotency-Key", requestId)
                  .timeout(Duration.ofMinutes(2))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      StringBuilder text = new StringBuilder();
      boolean done = false;
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          assertThat(line).as("no error event").doesNotStartWith("event: error");
          if (line.equals("data: [DONE]")) {
            done = true;
            break;
          }
          if (line.startsWith("data: ")) {
            JsonNode delta = JSON.readTree(line.substring(6)).get("choices").get(0).get("delta");
            if (delta.hasNonNull("content")) {
              text.append(delta.get("content").asText());
            }
          }
        }
      }
      assertThat(done).as("the stream ends with [DONE]").isTrue();
      return text.toString();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String get(String url) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + apiKey)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", url, response.body()).isEqualTo(200);
    return response.body();
  }

  private static Map<String, Map<String, String>> rows(String jdbc) throws Exception {
    Map<String, Map<String, String>> rows = new HashMap<>();
    try (Connection db = DriverManager.getConnection(jdbc, "runnel", "");
        Statement statement = db.createStatement();
        ResultSet result = statement.executeQuery("SELECT * FROM runnel_sessions")) {
      int columns = result.getMetaData().getColumnCount();
      while (result.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 1; i <= columns; i++) {
          row.put(result.getMetaData().getColumnName(i), result.getString(i));
        }
        rows.put(row.get("session_id"), row);
      }
    }
    return rows;
  }

  /** The pids in the cluster's pid files, and PostgreSQL's postmaster. */
  private static List<Long> pidsOf(Path dir) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("pids"))) {
      for (Path f : files.toList()) {
        pids.add(Long.parseLong(Files.readString(f).trim()));
      }
    }
    Path data = Path.of(Files.readString(dir.resolve("postgres.path")).trim());
    pids.add(Long.parseLong(Files.readAllLines(data.resolve("data/postmaster.pid")).get(0).trim()));
    return pids;
  }

  private record Run(int exitCode, String output) {}

  private Run script(Path dir, int base, String command) throws Exception {
    Path log = temp.resolve(command + "-" + System.nanoTime() + ".log");
    ProcessBuilder builder =
        new ProcessBuilder("bash", SCRIPT.toString(), command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("RUNNEL_CLUSTER_DIR", dir.toString());
    builder.environment().put("RUNNEL_CLUSTER_PORT_BASE", Integer.toString(base));
    builder.environment().put("RUNNEL_HOME", System.getProperty("runnel.distribution.folder"));
    builder.environment().put("RUNNEL_KAFKA_LIB", System.getProperty("runnel.kafka.lib"));
    Process process = builder.start();
    if (!process.waitFor(8, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish:\n" + Files.readString(log));
    }
    return new Run(process.exitValue(), Files.readString(log));
  }

  /** A base whose every port local-cluster.sh uses is free now. */
  private static int freePortBase() {
    Random random = new Random();
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20000 + random.nextInt(400) * 100;
      boolean free = true;
      for (int offset : PORT_OFFSETS) {
        try (ServerSocket s =
            new ServerSocket(base + offset, 1, InetAddress.getLoopbackAddress())) {
          s.getLocalPort();
        } catch (IOException e) {
          free = false;
          break;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free port range found for the local cluster");
  }

  private static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (!Files.exists(dir.resolve("deploy/local-cluster.sh"))) {
      dir = dir.getParent();
    }
    return dir;
  }
}
