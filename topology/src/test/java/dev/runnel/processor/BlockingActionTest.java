package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The blocking form on the processor: off the stream thread, interrupted when cancelled. */
@Timeout(120)
class BlockingActionTest {
  private static final ActionSpec SPEC = new ActionSpec("waiting", Set.of(), Set.of());

  @TempDir Path stateDir;

  /** Emits one partial, then waits until interrupted, then tries to emit another. */
  static final class WaitsForCancel implements BlockingAction {
    final CountDownLatch running = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final CountDownLatch emittedAfter = new CountDownLatch(1);

    @Override
    public ActionSpec spec() {
      return SPEC;
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials) {
      partials.emit("before");
      running.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
      partials.emit("after cancel");
      emittedAfter.countDown();
      return Final.of(StateUpdate.builder().build());
    }
  }

  private Harness harness(StreamingAction action, Map<String, Object> settings) {
    return new Harness(stateDir, action, settings, new RecordingDeltaPublisher());
  }

  private static void awaitLatch(CountDownLatch latch) throws InterruptedException {
    assertThat(latch.await(20, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancellationInterruptsTheRunAndWhatItEmitsAfterIsIgnored() throws Exception {
    WaitsForCancel body = new WaitsForCancel();
    StreamingAction action = StreamingAction.blocking(body);
    try (Harness h = harness(action, Map.of())) {
      h.send("s", "r1", "go");
      awaitLatch(body.running);
      await().untilAsserted(() -> assertThat(h.allChunks()).hasSize(1));

      h.cancellations.pipeInput(
          "s", dev.runnel.schemas.Cancellation.newBuilder().setRequestId("r1").build());

      awaitLatch(body.interrupted);
      awaitLatch(body.emittedAfter);
      h.pump();
      h.pump();
      assertThat(h.endChunks())
          .singleElement()
          .satisfies(end -> assertThat(end.getFinishReason()).isEqualTo(FinishReason.CANCELLED));
      assertThat(h.allChunks()).extracting(Chunk::getDelta).doesNotContain("after cancel");
      assertThat(h.states("s"))
          .extracting(SessionState::getLastStatus)
          .containsExactly(RequestStatus.CANCELLED);
    } finally {
      action.close();
    }
  }

  @Test
  void closingTheTaskInterruptsItsRuns() throws Exception {
    WaitsForCancel body = new WaitsForCancel();
    StreamingAction action = StreamingAction.blocking(body);
    try {
      Harness h = harness(action, Map.of());
      h.send("s", "r1", "go");
      awaitLatch(body.running);

      h.close(); // the task is closed, as on a revocation or shutdown

      awaitLatch(body.interrupted);
    } finally {
      action.close();
    }
  }

  @Test
  void closingTheHostedActionClosesItAndItsOwnExecutorOnce() throws Exception {
    AtomicInteger closes = new AtomicInteger();
    ExecutorService own = Executors.newSingleThreadExecutor();
    BlockingAction body =
        new BlockingAction() {
          @Override
          public ActionSpec spec() {
            return SPEC;
          }

          @Override
          public Final run(ActionState state, ActionInput input, Partials partials)
              throws Exception {
            partials.emit(own.submit(() -> "from my own thread").get());
            return Final.of(StateUpdate.builder().build());
          }

          @Override
          public void close() {
            closes.incrementAndGet();
            own.shutdownNow();
          }
        };
    StreamingAction action = StreamingAction.blocking(body);
    try (Harness h = harness(action, Map.of())) {
      h.send("s", "r1", "go");
      await()
          .untilAsserted(
              () -> {
                h.pump();
                assertThat(h.endChunks()).hasSize(1);
              });
      assertThat(h.rebuiltText("r1")).isEqualTo("from my own thread");
    }

    action.close();
    action.close();

    assertThat(closes).hasValue(1);
    assertThat(own.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("runnel-blocking-action-") && t.isAlive());
  }

  @Test
  void twoThousandRunsOpenAtOnceKeepTheThreadCountBounded() throws Exception {
    int runs = 2_000;
    int poolThreads = 16;
    boolean virtual = Runtime.version().feature() >= 21;
    CountDownLatch started = new CountDownLatch(runs);
    CountDownLatch release = new CountDownLatch(1);
    BlockingAction body =
        new BlockingAction() {
          @Override
          public ActionSpec spec() {
            return SPEC;
          }

          @Override
          public Final run(ActionState state, ActionInput input, Partials partials)
              throws InterruptedException {
            started.countDown();
            release.await();
            partials.emit("done " + input.sessionId());
            return Final.of(StateUpdate.builder().build());
          }
        };
    StreamingAction action = StreamingAction.blocking(body, poolThreads);
    int baseline = ManagementFactory.getThreadMXBean().getThreadCount();
    try (Harness h =
        harness(
            action,
            Map.of(
                RunnelConfig.MAX_IN_FLIGHT_CONFIG,
                runs,
                RunnelConfig.SESSION_QUEUE_MAX_CONFIG,
                1))) {
      for (int i = 0; i < runs; i++) {
        h.send("session-" + i, "r" + i, "go");
      }
      long expectedRunning = virtual ? runs : poolThreads;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> runs - started.getCount() >= expectedRunning);
      int threads = ManagementFactory.getThreadMXBean().getThreadCount();

      assertThat(runs - started.getCount()).isEqualTo(expectedRunning);
      // Platform threads only: virtual threads are not counted, carriers are few.
      assertThat(threads - baseline).isLessThanOrEqualTo(poolThreads + 8);

      release.countDown();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                h.pump();
                assertThat(h.endChunks()).hasSize(runs);
              });
      assertThat(h.endChunks()).allSatisfy(end -> assertThat(end.getError()).isNull());
      assertThat(h.states().stream().map(SessionState::getSessionId).collect(Collectors.toSet()))
          .hasSize(runs);
    } finally {
      action.close();
    }
  }
}
