package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.serde.AvroSerde;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatorSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The immediate lane's producer blocks in {@code send} (as a real one does for up to {@code
 * max.block.ms} when the broker is unreachable or its buffer is full). No model thread and no timer
 * may wait for it: another session's timeout still fires, and the session whose deltas cannot be
 * written fails at once with an error that says why.
 */
// A separate thread, so that a test thread stuck on a lock still fails the test.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ImmediateLaneBackpressureTest {
  @TempDir Path stateDir;
  private SimulatedModelServer server;
  private ChatModel model;
  private final CountDownLatch brokerAnswers = new CountDownLatch(1);

  /** A producer whose send blocks until the test lets it go. */
  private final class BlockingProducer extends MockProducer<String, Chunk> {
    BlockingProducer() {
      super(true, null, new StringSerializer(), AvroSerde.of(Chunk.class).serializer());
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<String, Chunk> record, Callback callback) {
      try {
        brokerAnswers.await();
      } catch (InterruptedException e) {
        throw new InterruptException(e);
      }
      return super.send(record, callback);
    }
  }

  @BeforeEach
  void start() {
    server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS
                .withTimeToFirstToken(Duration.ofMillis(20))
                .withTokensPerSecond(200)
                .withReplyTokens(12));
  }

  @AfterEach
  void stop() {
    brokerAnswers.countDown();
    if (model != null) {
      model.close();
    }
    server.close();
  }

  @Test
  void aBlockedProducerStallsNoModelThreadAndNoTimer() {
    Map<String, Object> settings = new HashMap<>();
    settings.put(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_IMMEDIATE);
    settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
    settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, server.openAiBaseUrl());
    settings.put(RunnelConfig.MODEL_FIRST_TOKEN_TIMEOUT_MS_CONFIG, 5_000L);
    settings.put(RunnelConfig.MODEL_IDLE_TIMEOUT_MS_CONFIG, 500L);
    settings.put(RunnelConfig.RETRY_MAX_RETRIES_CONFIG, 0);
    RunnelConfig config = new RunnelConfig(settings);
    model = ChatModels.create(config);
    // Room for three deltas: the lane is full long before the streaming reply ends.
    KafkaDeltaPublisher lane =
        new KafkaDeltaPublisher(
            new BlockingProducer(), config.getString("runnel.topic.chunks"), 300);

    try (Harness h =
        new Harness(
            stateDir,
            ChatModels.chatAction(config, model),
            settings,
            new RecordingDeltaPublisher(lane))) {
      h.send("streaming", "r-streaming", "tell me a story");
      h.send("stalled", "r-stalled", "[[sim fault=stall;after=0]] hello");
      await()
          .pollInSameThread()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(10))
          .until(
              () -> {
                h.pump();
                return h.states("streaming").size() == 1 && h.states("stalled").size() == 1;
              });

      SessionState stalled = h.states("stalled").get(0);
      assertThat(stalled.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(stalled.getLastError().getKind()).isEqualTo("TIMEOUT");

      SessionState streaming = h.states("streaming").get(0);
      assertThat(streaming.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(streaming.getLastError().getKind()).isEqualTo("DELTA_NOT_WRITTEN");
      assertThat(streaming.getLastError().getMessage())
          .contains("cannot keep up", RunnelConfig.DELTA_LANE_BUFFER_BYTES_CONFIG + "=300");
      Chunk end =
          h.endChunks().stream()
              .filter(c -> c.getRequestId().equals("r-streaming"))
              .findFirst()
              .orElseThrow();
      assertThat(end.getFinishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(end.getError().getKind()).isEqualTo("DELTA_NOT_WRITTEN");
      assertThat(h.deadLetters.readValuesToList()).hasSize(2);
      brokerAnswers.countDown();
    }
  }
}
