package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import java.io.IOException;
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
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chat page in headless Chromium (Debian's package), driven over the DevTools protocol: a
 * prompt's reply grows on screen before it is complete, a restarted attempt is shown as such, a
 * failed request shows its error, and a second model call under the same attempt (another callId)
 * replaces the first call's text.
 */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ChatPageBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final int TOKENS = 30;
  private static TestRunnel runnel;
  private static Process browser;
  private static Path profile;
  private static int devtoolsPort;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM),
        "/usr/bin/chromium is missing; install it with"
            + " apt-get install -y --no-install-recommends chromium to run this test");
    runnel =
        TestRunnel.start(
            "gw-page",
            2,
            1,
            // 20 tokens a second: slow enough to sample the reply while it grows.
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(100))
                .withTokensPerSecond(20)
                .withReplyTokens(TOKENS));
    profile = Files.createTempDirectory("runnel-chromium-");
    try (ServerSocket socket = new ServerSocket(0)) {
      devtoolsPort = socket.getLocalPort();
    }
    browser =
        new ProcessBuilder(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=" + devtoolsPort,
                "about:blank")
            .redirectErrorStream(true)
            .redirectOutput(profile.resolveSibling(profile.getFileName() + ".log").toFile())
            .start();
    HttpClient http = HttpClient.newHttpClient();
    await()
        .atMost(Cdp.STARTUP)
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(
                                    URI.create(
                                        "http://127.0.0.1:" + devtoolsPort + "/json/version"))
                                .build(),
                            HttpResponse.BodyHandlers.ofString())
                        .statusCode()
                    == 200);
  }

  @AfterAll
  static void stop() throws IOException {
    if (browser != null) {
      browser.destroy();
      try {
        browser.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      browser.destroyForcibly();
    }
    if (profile != null) {
      try (Stream<Path> paths = Files.walk(profile)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    if (runnel != null) {
      runnel.close();
    }
  }

  private record Sample(String state, String text, int notes, String error) {}

  private static Sample lastReply(Cdp page) {
    JsonNode v =
        page.eval(
            "(() => { const all = document.querySelectorAll('.reply');"
                + " if (all.length === 0) return null; const r = all[all.length - 1];"
                + " const e = r.querySelector('.error');"
                + " return { state: r.dataset.state, text: r.querySelector('.text').textContent,"
                + " notes: r.querySelectorAll('.note').length,"
                + " error: e ? e.textContent : '', count: all.length }; })()");
    if (v == null || v.isNull() || v.isMissingNode()) {
      return null;
    }
    return new Sample(
        v.get("state").asText(),
        v.get("text").asText(),
        v.get("notes").asInt(),
        v.get("error").asText());
  }

  private static int replyCount(Cdp page) {
    return page.eval("document.querySelectorAll('.reply').length").asInt();
  }

  private static KafkaProducer<String, Chunk> chunkProducer() {
    Topic<String, Chunk> chunks = Topics.from(new RunnelConfig(runnel.stack.settings())).chunks();
    return new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, runnel.broker.bootstrapServers()),
        chunks.keySerde().serializer(),
        chunks.valueSerde().serializer());
  }

  private static Chunk chunk(
      String session, String request, String callId, int sequence, String delta, boolean end) {
    return Chunk.newBuilder()
        .setSessionId(session)
        .setRequestId(request)
        .setAttempt(1)
        .setCallId(callId)
        .setSequence(sequence)
        .setDelta(delta)
        .setEnd(end)
        .setFinishReason(end ? FinishReason.STOP : null)
        .build();
  }

  private static void write(KafkaProducer<String, Chunk> producer, Chunk chunk) throws Exception {
    Topic<String, Chunk> chunks = Topics.from(new RunnelConfig(runnel.stack.settings())).chunks();
    producer.send(new ProducerRecord<>(chunks.name(), chunk.getSessionId(), chunk)).get();
  }

  private static void send(Cdp page, String prompt) throws Exception {
    String quoted = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(prompt);
    page.eval(
        "document.getElementById('prompt').value = "
            + quoted
            + "; document.getElementById('send').requestSubmit(); true");
  }

  @Test
  void aReplyGrowsOnScreenThenARestartAndAnErrorAreShown() throws Exception {
    String session = "page-" + UUID.randomUUID().toString().substring(0, 8);
    try (Cdp page = Cdp.openPage(devtoolsPort, runnel.gateway.url() + "/#" + session)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  page.eval("document.getElementById('status').textContent")
                      .asText()
                      .startsWith("live"));

      // 1. The reply grows while it streams.
      send(page, "watch me grow");
      List<Sample> samples = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(25))
          .until(
              () -> {
                Sample s = lastReply(page);
                if (s != null) {
                  samples.add(s);
                }
                return s != null && !s.state().equals("streaming");
              });
      List<Integer> growing =
          samples.stream()
              .filter(s -> s.state().equals("streaming") && !s.text().isEmpty())
              .map(s -> s.text().length())
              .distinct()
              .toList();
      String expected = SimulatedReplies.reply("watch me grow", TOKENS);
      assertThat(growing.stream().filter(n -> n < expected.length()))
          .as("partial lengths seen while streaming, of %s", growing)
          .hasSizeGreaterThanOrEqualTo(2);
      Sample done = samples.get(samples.size() - 1);
      assertThat(done.state()).isEqualTo("done");
      assertThat(done.text()).isEqualTo(expected);

      // 2. A dropped model stream is retried: the page says the reply restarted, then shows it all.
      runnel.simulator.enqueue("fault=reset after=3");
      send(page, "restart me");
      await().atMost(Duration.ofSeconds(10)).until(() -> replyCount(page) == 2);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> !lastReply(page).state().equals("streaming"));
      Sample restarted = lastReply(page);
      assertThat(restarted.state()).isEqualTo("done");
      assertThat(restarted.notes()).isGreaterThanOrEqualTo(1);
      assertThat(restarted.text()).isEqualTo(SimulatedReplies.reply("restart me", TOKENS));

      // 3. A request the model refuses ends with its error on screen.
      runnel.simulator.enqueue("fault=bad_request");
      send(page, "refuse me");
      await().atMost(Duration.ofSeconds(10)).until(() -> replyCount(page) == 3);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> !lastReply(page).state().equals("streaming"));
      Sample failed = lastReply(page);
      assertThat(failed.state()).isEqualTo("error");
      assertThat(failed.error()).startsWith("error ");
      assertThat(page.eval("document.getElementById('session').value").asText()).isEqualTo(session);

      // 4. A second model call under the same attempt (its start was rolled back and rerun):
      // the page drops the first call's text and shows the call the end record names.
      String request = "rerun-" + UUID.randomUUID();
      try (KafkaProducer<String, Chunk> producer = chunkProducer()) {
        write(
            producer, chunk(session, request, "call-a", 0, "text of a call that was lost", false));
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> replyCount(page) == 4 && lastReply(page).text().contains("lost"));
        write(producer, chunk(session, request, "call-b", 0, "the rerun's ", false));
        write(producer, chunk(session, request, "call-b", 1, "reply", false));
        write(producer, chunk(session, request, "call-b", 2, "", true));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> lastReply(page).state().equals("done"));
      Sample rerun = lastReply(page);
      assertThat(rerun.text()).isEqualTo("the rerun's reply");
      assertThat(rerun.notes()).isEqualTo(1);
      page.screenshot(Path.of("target", "chat-page.png"));
    }
  }
}
