package dev.runnel.processor;

import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.topics.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Immediate-lane publisher over its own idempotent producer with {@code linger.ms=0}, so a delta is
 * on the broker within a network round trip of arriving from the model.
 *
 * <p>{@link Producer#send} may block for up to {@code max.block.ms} (waiting for metadata, or for
 * room in a full buffer). That must never happen on a model client's thread, which holds its call's
 * lock while it delivers a delta, nor hold up any other call. So {@link #send} only hands the delta
 * to one sender thread through a buffer bounded by bytes; when the buffer is full (the producer
 * cannot keep up, for example because the broker is unreachable) the delta fails at once with a
 * {@link BufferExhaustedException} naming the limit, and its attempt fails instead of waiting.
 */
public final class KafkaDeltaPublisher implements DeltaPublisher {
  /** What one waiting delta costs besides its text: the record, its future, its queue node. */
  static final int DELTA_OVERHEAD_BYTES = 64;

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final Producer<String, Chunk> producer;
  private final String topic;
  private final long bufferBytes;
  private final AtomicLong waitingBytes = new AtomicLong();

  // Bounded by waitingBytes: nothing enters without reserving its bytes first.
  private final LinkedBlockingQueue<Waiting> waiting = new LinkedBlockingQueue<>();
  private final Thread sender;
  private volatile boolean closed;

  private record Waiting(Chunk delta, long bytes, CompletableFuture<Void> acked) {}

  private static final Waiting STOP = new Waiting(null, 0, null);

  public KafkaDeltaPublisher(Producer<String, Chunk> producer, String topic) {
    this(producer, topic, RunnelConfig.DELTA_LANE_BUFFER_BYTES_DEFAULT);
  }

  /**
   * @param bufferBytes most bytes of deltas that may wait for the producer, estimated as two per
   *     character plus {@value #DELTA_OVERHEAD_BYTES} per delta
   */
  public KafkaDeltaPublisher(Producer<String, Chunk> producer, String topic, long bufferBytes) {
    if (bufferBytes < 1) {
      throw new IllegalArgumentException("bufferBytes must be >= 1, was " + bufferBytes);
    }
    this.producer = producer;
    this.topic = topic;
    this.bufferBytes = bufferBytes;
    this.sender = new Thread(this::sendWaiting, "runnel-immediate-lane-sender");
    sender.setDaemon(true);
    sender.start();
  }

  /**
   * A publisher with its own producer and the default buffer.
   *
   * @param clientProperties connection and security settings shared with the other clients
   */
  public static KafkaDeltaPublisher create(
      Map<String, Object> clientProperties, Topic<String, Chunk> chunks) {
    return create(clientProperties, chunks, RunnelConfig.DELTA_LANE_BUFFER_BYTES_DEFAULT);
  }

  /**
   * A publisher with its own producer.
   *
   * @param clientProperties connection and security settings shared with the other clients
   * @param bufferBytes {@link RunnelConfig#DELTA_LANE_BUFFER_BYTES_CONFIG}
   */
  public static KafkaDeltaPublisher create(
      Map<String, Object> clientProperties, Topic<String, Chunk> chunks, long bufferBytes) {
    Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "runnel-immediate-lane");
    Producer<String, Chunk> producer =
        new KafkaProducer<>(
            props, chunks.keySerde().serializer(), chunks.valueSerde().serializer());
    return new KafkaDeltaPublisher(producer, chunks.name(), bufferBytes);
  }

  @Override
  public CompletionStage<Void> send(Chunk delta) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    if (closed) {
      acked.completeExceptionally(new IllegalStateException("the immediate lane is closed"));
      return acked;
    }
    long bytes = bytesOf(delta);
    if (!reserve(bytes)) {
      acked.completeExceptionally(
          new BufferExhaustedException(
              "the immediate lane cannot keep up: its deltas waiting for the producer would pass"
                  + " "
                  + RunnelConfig.DELTA_LANE_BUFFER_BYTES_CONFIG
                  + "="
                  + bufferBytes
                  + " bytes (is the broker reachable?)"));
      return acked;
    }
    waiting.add(new Waiting(delta, bytes, acked));
    if (closed) {
      failWaiting(); // close() may have drained the queue before this delta arrived
    }
    return acked;
  }

  @Override
  public void close() {
    closed = true;
    waiting.add(STOP);
    long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
    try {
      // What is waiting goes out first, unless the producer keeps the sender blocked.
      sender.join(CLOSE_TIMEOUT.toMillis());
      if (sender.isAlive()) {
        sender.interrupt();
        sender.join(CLOSE_TIMEOUT.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failWaiting();
    producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  private boolean reserve(long bytes) {
    while (true) {
      long current = waitingBytes.get();
      if (current + bytes > bufferBytes) {
        return false;
      }
      if (waitingBytes.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  private static long bytesOf(Chunk delta) {
    long chars =
        (long) delta.getSessionId().length()
            + delta.getRequestId().length()
            + (delta.getDelta() == null ? 0 : delta.getDelta().length());
    return 2 * chars + DELTA_OVERHEAD_BYTES;
  }

  /** The sender thread: the only thread that calls into the producer's send. */
  private void sendWaiting() {
    while (true) {
      Waiting next;
      try {
        next = waiting.take();
      } catch (InterruptedException e) {
        return;
      }
      if (next == STOP) {
        return;
      }
      try {
        producer.send(
            new ProducerRecord<>(topic, next.delta().getSessionId(), next.delta()),
            (metadata, error) -> {
              if (error == null) {
                next.acked().complete(null);
              } else {
                next.acked().completeExceptionally(error);
              }
            });
      } catch (RuntimeException e) {
        next.acked().completeExceptionally(e);
      } finally {
        waitingBytes.addAndGet(-next.bytes());
      }
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  private void failWaiting() {
    List<Waiting> left = new ArrayList<>();
    waiting.drainTo(left);
    for (Waiting w : left) {
      if (w != STOP) {
        waitingBytes.addAndGet(-w.bytes());
        w.acked().completeExceptionally(new IllegalStateException("the immediate lane is closed"));
      }
    }
  }
}
