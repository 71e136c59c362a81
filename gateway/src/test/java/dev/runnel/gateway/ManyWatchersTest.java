package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 500 concurrent server-sent event streams on one gateway instance (100 sessions, 5 watchers each)
 * all receive every chunk of their session, through one Kafka consumer and a fixed number of
 * threads.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ManyWatchersTest {
  private static final int SESSIONS = 100;
  private static final int WATCHERS_PER_SESSION = 5;
  private static final int TOKENS = 20;
  private static TestRunnel runnel;

  @BeforeAll
  static void start() throws Exception {
    runnel =
        TestRunnel.start(
            "gw-many",
            6,
            1,
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(50))
                .withTokensPerSecond(50)
                .withReplyTokens(TOKENS));
  }

  @AfterAll
  static void stop() {
    if (runnel != null) {
      runnel.close();
    }
  }

  @Test
  void fiveHundredWatchersEachGetEveryChunkOfTheirSession() throws Exception {
    ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(clientThreads)
            .build();
    int gatewayThreadsBefore = gatewayThreads();
    String base = runnel.gateway.url() + "/v1/sessions/";
    List<List<SseRecorder>> watchers = new ArrayList<>();
    for (int s = 0; s < SESSIONS; s++) {
      List<SseRecorder> ofSession = new ArrayList<>();
      for (int w = 0; w < WATCHERS_PER_SESSION; w++) {
        ofSession.add(SseRecorder.open(http, URI.create(base + "many-" + s + "/events")));
      }
      watchers.add(ofSession);
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                watchers.stream().flatMap(List::stream).allMatch(r -> r.subscribed)
                    && runnel.gateway.watchers() == SESSIONS * WATCHERS_PER_SESSION);
    int gatewayThreadsWithWatchers = gatewayThreads();

    for (int s = 0; s < SESSIONS; s++) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "many-" + s + "/prompts"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"question " + s + "\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    await()
        .atMost(Duration.ofMinutes(3))
        .until(() -> watchers.stream().flatMap(List::stream).allMatch(SseRecorder::sawEnd));

    for (int s = 0; s < SESSIONS; s++) {
      String expected = SimulatedReplies.reply("question " + s, TOKENS);
      for (SseRecorder recorder : watchers.get(s)) {
        // One event per delta record (the immediate lane may merge deltas), then the end record.
        int records =
            recorder.events.get(recorder.events.size() - 1).json().get("sequence").asInt();
        assertThat(recorder.events).hasSize(records + 1);
        Set<String> ids = new HashSet<>();
        for (SseRecorder.Event e : recorder.events) {
          ids.add(e.id());
          JsonNode chunk = e.json();
          assertThat(chunk.get("sessionId").asText()).isEqualTo("many-" + s);
        }
        assertThat(ids).hasSize(records + 1);
        assertThat(recorder.text()).isEqualTo(expected);
      }
    }
    assertThat(chunkConsumers()).isEqualTo(1);
    // Netty starts its event-loop threads lazily, so the count may rise to the fixed bound (one
    // acceptor, max(2, cores) event loops, the chunk consumer, the prompt sender) but not with
    // the watchers.
    int bound = 1 + Math.max(2, Runtime.getRuntime().availableProcessors()) + 2;
    assertThat(gatewayThreadsWithWatchers).isLessThanOrEqualTo(bound);
    System.out.printf(
        "500 watchers: gateway threads %d before, %d with watchers; JVM threads %d%n",
        gatewayThreadsBefore,
        gatewayThreadsWithWatchers,
        ManagementFactory.getThreadMXBean().getThreadCount());
    watchers.stream().flatMap(List::stream).forEach(SseRecorder::cancel);
    clientThreads.shutdownNow();
  }

  /** Threads of the gateway: its Netty event loops, its chunk consumer and catch-up readers. */
  private static int gatewayThreads() {
    return (int)
        Thread.getAllStackTraces().keySet().stream()
            .filter(
                t ->
                    t.getName().startsWith("runnel-gw-")
                        || t.getName().startsWith("runnel-gateway-"))
            .count();
  }

  private static int chunkConsumers() throws Exception {
    return ManagementFactory.getPlatformMBeanServer()
        .queryNames(
            new ObjectName(
                "kafka.consumer:type=consumer-metrics,client-id=runnel-gateway-chunks-*"),
            null)
        .size();
  }
}
