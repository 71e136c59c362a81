package dev.runnel.bench.internal;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * A closed-loop load: {@code C} sessions, each with one prompt in flight; when a reply's end record
 * arrives the session sends its next prompt. A consumer thread reads the chunks topic (read
 * committed or not, as the lane's readers would) and, while a window is open, records for each
 * delta how long after the simulator sent its token it arrived.
 */
public final class LoadDriver implements AutoCloseable {
  private final Topics topics;
  private final SendTimes sendTimes;
  private final String tag;
  private final KafkaProducer<String, Prompt> producer;
  private final KafkaConsumer<String, Chunk> consumer;
  private final Thread pollThread;
  private final Map<String, Integer> nextIndex = new ConcurrentHashMap<>();
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile boolean sending;
  private volatile boolean running = true;
  private volatile Window window;
  private volatile String promptSuffix = "";

  /**
   * @param readCommitted whether the consumer reads only committed records
   * @param tag distinguishes this driver's sessions from every other driver's in the same run
   */
  public LoadDriver(
      String bootstrapServers,
      Topics topics,
      boolean readCommitted,
      SendTimes sendTimes,
      String tag) {
    this.topics = topics;
    this.sendTimes = sendTimes;
    this.tag = tag;
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-prompts-" + tag);
    producer =
        new KafkaProducer<>(
            p,
            topics.prompts().keySerde().serializer(),
            topics.prompts().valueSerde().serializer());
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-chunks-" + tag);
    c.put(
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        readCommitted ? "read_committed" : "read_uncommitted");
    consumer =
        new KafkaConsumer<>(
            c,
            topics.chunks().keySerde().deserializer(),
            topics.chunks().valueSerde().deserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : consumer.partitionsFor(topics.chunks().name())) {
      partitions.add(new TopicPartition(info.topic(), info.partition()));
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    pollThread = new Thread(this::pollLoop, "bench-consumer-" + tag);
    pollThread.setDaemon(true);
    pollThread.start();
  }

  /** Text appended to every prompt from now on (e.g. a simulator directive). */
  public void promptSuffix(String suffix) {
    this.promptSuffix = suffix;
  }

  /** Starts {@code concurrency} new sessions, each sending its first prompt now. */
  public void open(int concurrency, String sessionPrefix) {
    sending = true;
    for (int i = 0; i < concurrency; i++) {
      send(tag + "-" + sessionPrefix + "-" + i);
    }
    producer.flush();
  }

  /** Records for {@code length}, then returns what arrived in that time. */
  public WindowResult measure(Duration length, CpuMeter cpu) throws InterruptedException {
    Window w = new Window();
    cpu.start();
    long start = System.nanoTime();
    window = w;
    Thread.sleep(length.toMillis());
    window = null;
    long elapsed = System.nanoTime() - start;
    CpuMeter.Usage used = cpu.stop();
    return new WindowResult(
        elapsed / 1e9,
        w.replies.get(),
        w.deltas.get(),
        w.errors.get(),
        w.unmatched.get(),
        w.firstToken.summary(),
        w.perToken.summary(),
        used);
  }

  /** Stops sending new prompts and waits for the replies in flight; false if some did not end. */
  public boolean drain(Duration timeout) throws InterruptedException {
    sending = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return outstanding.get() == 0;
  }

  /** Prompts sent whose end record has not arrived. */
  public int outstanding() {
    return outstanding.get();
  }

  private void send(String session) {
    int n = nextIndex.merge(session, 1, Integer::sum);
    String requestId = session + "-" + n;
    sendTimes.expect(requestId);
    Prompt prompt =
        Prompt.newBuilder()
            .setRequestId(requestId)
            .setContent(SendTimes.prompt(requestId) + promptSuffix)
            .build();
    outstanding.incrementAndGet();
    producer.send(new ProducerRecord<>(topics.prompts().name(), session, prompt));
  }

  private void pollLoop() {
    try {
      while (running) {
        ConsumerRecords<String, Chunk> records = consumer.poll(Duration.ofMillis(100));
        long received = System.nanoTime();
        Window w = window;
        for (ConsumerRecord<String, Chunk> r : records) {
          onChunk(r.value(), received, w);
        }
      }
    } catch (WakeupException e) {
      // closing
    }
  }

  private void onChunk(Chunk chunk, long received, Window w) {
    if (!chunk.getSessionId().startsWith(tag + "-")) {
      return;
    }
    if (!chunk.getEnd()) {
      if (w == null) {
        return;
      }
      long sent = sendTimes.sentAt(chunk.getRequestId(), chunk.getSequence());
      w.deltas.incrementAndGet();
      if (sent == 0) {
        w.unmatched.incrementAndGet();
        return;
      }
      w.perToken.add(received - sent);
      if (chunk.getSequence() == 0) {
        w.firstToken.add(received - sent);
      }
      return;
    }
    sendTimes.forget(chunk.getRequestId());
    outstanding.decrementAndGet();
    if (w != null) {
      if (chunk.getError() == null) {
        w.replies.incrementAndGet();
      } else {
        w.errors.incrementAndGet();
      }
    }
    if (sending) {
      send(chunk.getSessionId());
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      pollThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close();
    producer.close(Duration.ofSeconds(5));
  }

  private static final class Window {
    final AtomicLong replies = new AtomicLong();
    final AtomicLong deltas = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong unmatched = new AtomicLong();
    final Samples firstToken = new Samples();
    final Samples perToken = new Samples();
  }
}
