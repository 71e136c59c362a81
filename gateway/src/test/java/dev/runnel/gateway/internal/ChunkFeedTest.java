package dev.runnel.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The feed's memory and work bounds, over Kafka's MockConsumer (no broker). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ChunkFeedTest {
  private static final long END = 100;
  private final Topic<String, Chunk> topic =
      Topics.from(new RunnelConfig(Map.of("bootstrap.servers", "unused:9092"))).chunks();
  private final List<ParkingConsumer> consumers = new CopyOnWriteArrayList<>();
  private ChunkFeed feed;

  /** A mock consumer whose empty poll waits a little, as a real one does, instead of spinning. */
  private static final class ParkingConsumer extends MockConsumer<String, byte[]> {
    ParkingConsumer() {
      super("latest");
    }

    @Override
    public ConsumerRecords<String, byte[]> poll(Duration timeout) {
      ConsumerRecords<String, byte[]> records = super.poll(timeout);
      if (records.isEmpty()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      return records;
    }
  }

  private ChunkFeed start(ChunkFeed.Limits limits) {
    feed =
        new ChunkFeed(
            Map.of(),
            topic,
            "read_committed",
            limits,
            new SimpleMeterRegistry(),
            Tags.empty(),
            props -> {
              ParkingConsumer c = new ParkingConsumer();
              c.updatePartitions(
                  topic.name(),
                  List.of(
                      new PartitionInfo(topic.name(), 0, null, null, null),
                      new PartitionInfo(topic.name(), 1, null, null, null)));
              c.updateEndOffsets(
                  Map.of(
                      new TopicPartition(topic.name(), 0), END,
                      new TopicPartition(topic.name(), 1), END));
              consumers.add(c);
              return c;
            });
    feed.start();
    await().atMost(Duration.ofSeconds(10)).until(feed::ready);
    return feed;
  }

  private static ChunkFeed.Limits limits(
      long sessionBytes, long maxBytes, int catchUpThreads, int catchUpQueue) {
    return new ChunkFeed.Limits(
        2048, sessionBytes, 10_000, maxBytes, catchUpThreads, catchUpQueue, Duration.ofMinutes(1));
  }

  @AfterEach
  void stop() {
    if (feed != null) {
      feed.close();
    }
  }

  private static final class Recorder implements Watcher {
    final List<ChunkEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public boolean offer(ChunkEvent event) {
      events.add(event);
      return true;
    }

    @Override
    public void fail(String code, String message) {}
  }

  private long nextOffset = END;

  private void produce(String session, String delta) {
    Chunk chunk =
        Chunk.newBuilder()
            .setSessionId(session)
            .setRequestId("r")
            .setAttempt(1)
            .setSequence(0)
            .setDelta(delta)
            .build();
    byte[] value = topic.valueSerde().serializer().serialize(topic.name(), chunk);
    consumers
        .get(0)
        .addRecord(
            new ConsumerRecord<>(
                topic.name(), feed.partitionOf(session), nextOffset++, session, value));
  }

  @Test
  void resumesFromTheTopicWaitInABoundedQueueAndTheRestAreRefused() {
    start(limits(1 << 20, 64 << 20, 1, 1));
    String session = "s-" + UUID.randomUUID();
    int partition = feed.partitionOf(session);
    Optional<EventId> fromStart = Optional.of(new EventId(partition, 0));
    // The topic's end is far ahead and the readers find nothing: each resume keeps reading.
    ChunkFeed.Subscription running =
        feed.subscribe(session, fromStart, Optional.empty(), new Recorder());
    ChunkFeed.Subscription queued =
        feed.subscribe(session, fromStart, Optional.empty(), new Recorder());

    assertThatThrownBy(() -> feed.subscribe(session, fromStart, Optional.empty(), new Recorder()))
        .isInstanceOf(ChunkFeed.Busy.class)
        .hasMessageContaining("1 running, 1 waiting");
    assertThat(feed.watcherCount()).isEqualTo(2);

    running.cancel();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThatCode(
                        () ->
                            feed.subscribe(session, fromStart, Optional.empty(), new Recorder())
                                .cancel())
                    .doesNotThrowAnyException());
    queued.cancel();
  }

  @Test
  void aWatchedSessionWithNoChunksLeavesNoEntryBehind() {
    start(limits(1 << 20, 64 << 20, 2, 16));
    List<ChunkFeed.Subscription> subs = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      subs.add(
          feed.subscribe(
              "any-" + UUID.randomUUID(), Optional.empty(), Optional.empty(), new Recorder()));
    }
    assertThat(feed.sessionCount()).isEqualTo(500);

    subs.forEach(ChunkFeed.Subscription::cancel);

    assertThat(feed.sessionCount()).isZero();
    assertThat(feed.watcherCount()).isZero();
  }

  @Test
  void replayBuffersAreBoundedByBytesPerSessionAndInAll() {
    long sessionBytes = 8 * 1024;
    long maxBytes = 64 * 1024;
    start(limits(sessionBytes, maxBytes, 2, 16));
    String big = "b-" + UUID.randomUUID();
    Recorder watcher = new Recorder();
    feed.subscribe(big, Optional.empty(), Optional.empty(), watcher);
    for (int i = 0; i < 50; i++) {
      produce(big, "x".repeat(1000));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> watcher.events.size() == 50);
    assertThat(feed.bufferedBytes()).isPositive().isLessThanOrEqualTo(sessionBytes);

    for (int i = 0; i < 200; i++) {
      produce("many-" + i, "y".repeat(1000));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(feed.bufferedBytes()).isLessThanOrEqualTo(maxBytes);
              assertThat(feed.sessionCount()).isLessThan(201);
            });
    // The watched session keeps getting its chunks whatever was dropped for memory.
    produce(big, "still here");
    await().atMost(Duration.ofSeconds(10)).until(() -> watcher.events.size() == 51);
  }
}
