package dev.runnel.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 2,000 streams open at once, client and simulated server in this JVM, cost a bounded number of
 * threads: neither side parks a thread per open stream.
 */
@Timeout(180)
class ManyStreamsTest {
  private static final int STREAMS = 2_000;
  private static final int MAX_LIVE_THREADS = 100;

  @Test
  void twoThousandOpenStreamsCompleteWithBoundedThreads() throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int threadsBefore = threads.getThreadCount();
    try (SimulatedModelServer server =
            SimulatedModelServer.start(
                SimulatorSettings.DEFAULTS
                    .withTimeToFirstToken(Duration.ZERO)
                    .withTokensPerSecond(200)
                    .withReplyTokens(5));
        ChatModel model = OpenAiChatModel.builder().baseUrl(server.openAiBaseUrl()).build()) {
      // Every stream gets its headers and then waits for its first token until all are open.
      server.pauseFirstTokens();
      List<RecordingListener> listeners = new ArrayList<>();
      for (int i = 0; i < STREAMS; i++) {
        RecordingListener listener = new RecordingListener();
        listeners.add(listener);
        model.stream(
            new ChatRequest("runnel-sim", List.of(ChatMessage.user("stream " + i))), listener);
      }
      int[] peak = {0};
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                peak[0] = Math.max(peak[0], threads.getThreadCount());
                return server.openStreams() == STREAMS;
              });
      int whileAllOpen = threads.getThreadCount();
      peak[0] = Math.max(peak[0], whileAllOpen);

      server.resumeFirstTokens();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                peak[0] = Math.max(peak[0], threads.getThreadCount());
                return listeners.stream().allMatch(l -> l.result.isDone());
              });

      for (int i = 0; i < STREAMS; i++) {
        RecordingListener l = listeners.get(i);
        try {
          assertThat(l.completion().text()).isEqualTo(SimulatedReplies.reply("stream " + i, 5));
        } catch (ExecutionException e) {
          throw new AssertionError("stream " + i + " failed", e.getCause());
        }
        assertThat(l.ends.get()).isEqualTo(1);
      }
      System.out.printf(
          "threads: before %d, with %d streams open %d, peak %d%n",
          threadsBefore, STREAMS, whileAllOpen, peak[0]);
      assertThat(whileAllOpen).isLessThan(MAX_LIVE_THREADS);
      assertThat(peak[0]).isLessThan(MAX_LIVE_THREADS);
    }
  }
}
