package dev.runnel.gateway.internal;

import dev.runnel.schemas.Chunk;
import dev.runnel.topics.Topic;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one consumer of the chunks topic and its fan-out to watchers.
 *
 * <p>One {@link KafkaConsumer}, assigned every partition (no consumer group: each gateway instance
 * sees every chunk), starts at the end and hands each record to the watchers of its session. Each
 * session keeps its most recent chunks in memory, so a client that reconnects with {@code
 * Last-Event-ID} is served from there; an older id opens a short-lived reader on the session's
 * partition from that offset, which hands over to the live feed under the session's lock, so the
 * client sees no gap and no duplicate (every watcher also drops any offset it has already had).
 *
 * <p>Memory is bounded by bytes: each session keeps at most {@code replaySessionBytes} of recent
 * chunks, all sessions together at most {@code replayMaxBytes} (the least recently written sessions
 * without a watcher go first, then the oldest chunks of watched ones). A subscription to a session
 * with no chunks in memory creates its entry only while it watches. Resumes from the topic run on a
 * few threads with a bounded queue; when it is full, {@link #subscribe} refuses with {@link Busy}
 * before anything is sent.
 *
 * <p>Limitations: partitions added to the topic after start are not followed until restart; the
 * feed relies on chunks being partitioned by the default partitioner over the session id (as Kafka
 * Streams and the immediate lane do).
 */
public final class ChunkFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChunkFeed.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** Client id prefix of the shared consumer, one per gateway instance. */
  public static final String CONSUMER_CLIENT_ID_PREFIX = "runnel-gateway-chunks-";

  private final Map<String, Object> clientProps;
  private final Topic<String, Chunk> topic;
  private final String isolationLevel;
  private final Limits limits;
  private final AtomicLong bufferedBytes = new AtomicLong();
  private final Deserializer<Chunk> chunkDeserializer;
  private final ConcurrentHashMap<String, SessionEntry> sessions = new ConcurrentHashMap<>();
  private final ThreadPoolExecutor catchUps;
  private final Thread thread;
  private final Counter chunksConsumed;
  private final Counter catchUpsStarted;
  private final AtomicInteger watchers = new AtomicInteger();
  private final String clientId;
  private final Function<Map<String, Object>, Consumer<String, byte[]>> consumers;
  private volatile Consumer<String, byte[]> consumer;
  private volatile boolean ready;
  private volatile boolean closed;
  private volatile Throwable failure;
  // Per partition: every record of a session at or above this offset went into (or is still in)
  // its session's entry. Rises when an entry is evicted.
  private volatile AtomicLongArray floor;
  // Per partition: the offset after the last record the feed has dispatched. A record produced
  // after reading it has a higher offset, so it is where a request's chunks are looked for.
  private volatile AtomicLongArray next;

  /** How much the feed may hold and do at once. */
  public record Limits(
      int replayChunks,
      long replaySessionBytes,
      int replaySessions,
      long replayMaxBytes,
      int catchUpThreads,
      int catchUpQueue,
      Duration catchUpTimeout) {}

  /** Refused: every resume-from-topic slot is taken; come back after {@link #retryAfterSeconds}. */
  public static final class Busy extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Busy(String message) {
      super(message, null, false, false);
    }

    public int retryAfterSeconds() {
      return 1;
    }
  }

  /**
   * A feed reading with {@code isolationLevel}; its meters carry {@code tags} (empty when it is the
   * gateway's only feed).
   */
  public ChunkFeed(
      Map<String, Object> clientProps,
      Topic<String, Chunk> topic,
      String isolationLevel,
      Limits limits,
      MeterRegistry registry,
      Tags tags) {
    this(
        clientProps,
        topic,
        isolationLevel,
        limits,
        registry,
        tags,
        props -> new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer()));
  }

  /** The same, with {@code consumers} making the shared consumer and each resume's reader. */
  ChunkFeed(
      Map<String, Object> clientProps,
      Topic<String, Chunk> topic,
      String isolationLevel,
      Limits limits,
      MeterRegistry registry,
      Tags tags,
      Function<Map<String, Object>, Consumer<String, byte[]>> consumers) {
    this.consumers = consumers;
    this.clientProps = Map.copyOf(clientProps);
    this.topic = topic;
    this.isolationLevel = isolationLevel;
    this.limits = limits;
    this.chunkDeserializer = topic.valueSerde().deserializer();
    this.clientId = CONSUMER_CLIENT_ID_PREFIX + INSTANCES.incrementAndGet();
    this.catchUps =
        new ThreadPoolExecutor(
            limits.catchUpThreads(),
            limits.catchUpThreads(),
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(limits.catchUpQueue()),
            r -> {
              Thread t = new Thread(r, "runnel-gateway-catchup");
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    this.thread = new Thread(this::run, clientId);
    this.thread.setDaemon(true);
    this.chunksConsumed = registry.counter("runnel.gateway.chunks.consumed", tags);
    this.catchUpsStarted = registry.counter("runnel.gateway.resume.catchups", tags);
    Gauge.builder("runnel.gateway.watchers", watchers, AtomicInteger::get)
        .description("Open watchers (server-sent event streams and completions) of this instance")
        .tags(tags)
        .register(registry);
    Gauge.builder("runnel.gateway.sessions.buffered", sessions, Map::size)
        .description("Sessions whose recent chunks this instance keeps for resumes")
        .tags(tags)
        .register(registry);
    Gauge.builder("runnel.gateway.buffered.bytes", bufferedBytes, AtomicLong::get)
        .description("Estimated bytes of recent chunks this instance keeps for resumes")
        .tags(tags)
        .register(registry);
    Gauge.builder("runnel.gateway.chunk.consumers", () -> consumer == null ? 0 : 1)
        .description("Kafka consumers following the chunks topic (one per feed)")
        .tags(tags)
        .register(registry);
  }

  /** Sessions with an entry in memory (buffered chunks or a watcher). */
  public int sessionCount() {
    return sessions.size();
  }

  /** Estimated bytes of chunks held for resumes. */
  public long bufferedBytes() {
    return bufferedBytes.get();
  }

  /** Starts following the topic from its end. */
  public void start() {
    thread.start();
  }

  /** True once every partition is assigned and positioned at its end. */
  public boolean ready() {
    return ready && !closed && failure == null;
  }

  /** Open watchers. */
  public int watcherCount() {
    return watchers.get();
  }

  private void run() {
    Map<String, Object> props = new HashMap<>(clientProps);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
    try (Consumer<String, byte[]> c = consumers.apply(props)) {
      consumer = c;
      List<TopicPartition> partitions = partitionsOf(c);
      c.assign(partitions);
      c.seekToEnd(partitions);
      AtomicLongArray starts = new AtomicLongArray(partitions.size());
      for (TopicPartition tp : partitions) {
        starts.set(tp.partition(), c.position(tp));
      }
      AtomicLongArray positions = new AtomicLongArray(partitions.size());
      for (int i = 0; i < partitions.size(); i++) {
        positions.set(i, starts.get(i));
      }
      next = positions;
      floor = starts;
      ready = true;
      log.info("Following {} ({} partitions) from its end", topic.name(), partitions.size());
      while (!closed) {
        for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
          dispatch(record);
          next.accumulateAndGet(record.partition(), record.offset() + 1, Math::max);
        }
        evictIfNeeded();
      }
    } catch (WakeupException e) {
      if (!closed) {
        failure = e;
      }
    } catch (RuntimeException e) {
      failure = e;
      log.error("The chunk feed stopped; the gateway is no longer ready", e);
    } finally {
      consumer = null;
    }
  }

  private List<TopicPartition> partitionsOf(Consumer<String, byte[]> c) {
    List<PartitionInfo> infos = c.partitionsFor(topic.name(), Duration.ofSeconds(60));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("Topic " + topic.name() + " does not exist");
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : infos) {
      partitions.add(new TopicPartition(info.topic(), info.partition()));
    }
    partitions.sort(Comparator.comparingInt(TopicPartition::partition));
    return partitions;
  }

  private Optional<ChunkEvent> decode(ConsumerRecord<String, byte[]> record) {
    if (record.key() == null || record.value() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new ChunkEvent(
              record.partition(),
              record.offset(),
              chunkDeserializer.deserialize(record.topic(), record.value())));
    } catch (RuntimeException e) {
      log.warn(
          "Skipping an unreadable chunk at {}-{}@{}",
          record.topic(),
          record.partition(),
          record.offset(),
          e);
      return Optional.empty();
    }
  }

  private void dispatch(ConsumerRecord<String, byte[]> record) {
    Optional<ChunkEvent> decoded = decode(record);
    if (decoded.isEmpty()) {
      return;
    }
    chunksConsumed.increment();
    ChunkEvent event = decoded.get();
    while (true) {
      SessionEntry entry = entryOf(record.key(), record.partition());
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        bufferedBytes.addAndGet(
            entry.append(event, limits.replayChunks(), limits.replaySessionBytes()));
        entry.deliver(event);
        return;
      }
    }
  }

  private SessionEntry entryOf(String sessionId, int partition) {
    return sessions.computeIfAbsent(
        sessionId, id -> new SessionEntry(id, partition, floor.get(partition)));
  }

  private void evictIfNeeded() {
    int excess = sessions.size() - limits.replaySessions();
    if (excess <= 0 && bufferedBytes.get() <= limits.replayMaxBytes()) {
      return;
    }
    List<SessionEntry> idle = new ArrayList<>();
    for (SessionEntry entry : sessions.values()) {
      if (entry.subscriptions.isEmpty()) {
        idle.add(entry);
      }
    }
    idle.sort(Comparator.comparingLong(e -> e.lastWrite));
    for (Iterator<SessionEntry> it = idle.iterator();
        it.hasNext() && (excess > 0 || bufferedBytes.get() > limits.replayMaxBytes()); ) {
      SessionEntry entry = it.next();
      synchronized (entry) {
        if (!entry.subscriptions.isEmpty()) {
          continue;
        }
        remove(entry);
        excess--;
      }
    }
    if (bufferedBytes.get() <= limits.replayMaxBytes()) {
      return;
    }
    // Watched sessions alone pass the budget: they keep half of their chunks, newest first (a
    // resume from further back reads the topic).
    List<SessionEntry> watched = new ArrayList<>(sessions.values());
    watched.sort(Comparator.comparingLong(e -> e.lastWrite));
    for (SessionEntry entry : watched) {
      if (bufferedBytes.get() <= limits.replayMaxBytes()) {
        return;
      }
      synchronized (entry) {
        bufferedBytes.addAndGet(-entry.trim(entry.bytes / 2));
      }
    }
  }

  /** Drops {@code entry}; its caller holds the entry's lock. */
  private void remove(SessionEntry entry) {
    entry.dead = true;
    sessions.remove(entry.sessionId, entry);
    bufferedBytes.addAndGet(-entry.bytes);
    // What the entry held or dropped is no longer in memory: a new entry covers only later records.
    long next = entry.buffer.isEmpty() ? entry.coveredFrom : entry.buffer.peekLast().offset() + 1;
    floor.accumulateAndGet(entry.partition, next, Math::max);
  }

  /** The partition the default partitioner gives {@code sessionId}. */
  public int partitionOf(String sessionId) {
    AtomicLongArray f = floor;
    if (f == null) {
      throw new IllegalStateException("the chunk feed is not ready");
    }
    return Utils.toPositive(Utils.murmur2(sessionId.getBytes(StandardCharsets.UTF_8))) % f.length();
  }

  /**
   * The offset after the last record of {@code partition} this feed has handed out: every record
   * produced from now on has this offset or a higher one.
   */
  public long position(int partition) {
    AtomicLongArray n = next;
    if (n == null) {
      throw new IllegalStateException("the chunk feed is not ready");
    }
    return n.get(partition);
  }

  /**
   * Adds a watcher of {@code sessionId}.
   *
   * @param resumeAfter the last event the client saw; it then gets every later chunk of the
   *     session, first from memory or the topic, then live
   * @param requestId without {@code resumeAfter}: the watcher first gets the chunks of this request
   *     that are still in memory (so a stream opened just after the prompt misses none)
   * @return a handle that removes the watcher
   */
  public Subscription subscribe(
      String sessionId, Optional<EventId> resumeAfter, Optional<String> requestId, Watcher w) {
    if (!ready()) {
      throw new IllegalStateException("the chunk feed is not ready");
    }
    int partition = partitionOf(sessionId);
    Subscription sub = new Subscription(sessionId, w);
    watchers.incrementAndGet();
    if (resumeAfter.isPresent()) {
      EventId after = resumeAfter.get();
      if (after.partition() != partition) {
        sub.cancel();
        throw new IllegalArgumentException(
            "event "
                + after.partition()
                + "-"
                + after.offset()
                + " is not of session "
                + sessionId);
      }
      sub.lastOffset = after.offset();
      if (!tryJoin(sub, partition, after.offset() + 1)) {
        try {
          catchUps.execute(() -> catchUp(sub, partition));
        } catch (RejectedExecutionException e) {
          sub.cancel();
          throw new Busy(
              "every resume from the topic is taken ("
                  + limits.catchUpThreads()
                  + " running, "
                  + limits.catchUpQueue()
                  + " waiting); retry shortly");
        }
        catchUpsStarted.increment();
      }
      return sub;
    }
    while (true) {
      SessionEntry entry = entryOf(sessionId, partition);
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        String replay = requestId.orElseGet(entry::requestInProgress);
        if (replay != null) {
          for (ChunkEvent e : entry.buffer) {
            if (e.chunk().getRequestId().equals(replay) && !sub.offer(e)) {
              sub.cancel();
              return sub;
            }
          }
        }
        entry.subscriptions.add(sub);
        sub.entry = entry;
        w.caughtUp();
        return sub;
      }
    }
  }

  /**
   * Joins the live feed if the session's buffer holds every chunk from {@code from} on, replaying
   * the buffered ones the watcher has not had.
   */
  private boolean tryJoin(Subscription sub, int partition, long from) {
    while (true) {
      SessionEntry entry = entryOf(sub.sessionId, partition);
      synchronized (entry) {
        if (entry.dead) {
          continue;
        }
        if (from < entry.coveredFrom) {
          if (entry.subscriptions.isEmpty() && entry.buffer.isEmpty()) {
            remove(entry);
          }
          return false;
        }
        if (sub.cancelled) {
          return true;
        }
        for (ChunkEvent e : entry.buffer) {
          if (!sub.offer(e)) {
            sub.cancel();
            return true;
          }
        }
        entry.subscriptions.add(sub);
        sub.entry = entry;
        sub.watcher.caughtUp();
        return true;
      }
    }
  }

  private void catchUp(Subscription sub, int partition) {
    Map<String, Object> props = new HashMap<>(clientProps);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-gateway-catchup");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
    TopicPartition tp = new TopicPartition(topic.name(), partition);
    long deadline = System.nanoTime() + limits.catchUpTimeout().toNanos();
    try (Consumer<String, byte[]> reader = consumers.apply(props)) {
      reader.assign(List.of(tp));
      reader.seek(tp, sub.lastOffset + 1);
      while (!sub.cancelled && System.nanoTime() < deadline) {
        if (tryJoin(sub, partition, reader.position(tp))) {
          return;
        }
        for (ConsumerRecord<String, byte[]> record : reader.poll(POLL)) {
          if (!sub.sessionId.equals(record.key())) {
            continue;
          }
          Optional<ChunkEvent> event = decode(record);
          if (event.isPresent() && !sub.offer(event.get())) {
            sub.cancel();
            return;
          }
        }
      }
      if (!sub.cancelled) {
        sub.cancel();
        sub.watcher.fail(
            "resume_timeout", "could not read the missed chunks within " + limits.catchUpTimeout());
      }
    } catch (RuntimeException e) {
      log.warn("Resuming session {} from the topic failed", sub.sessionId, e);
      sub.cancel();
      sub.watcher.fail("resume_failed", "could not read the missed chunks: " + e.getMessage());
    }
  }

  /** An estimate of what {@code event} occupies on the heap: its strings and a fixed overhead. */
  static long sizeOf(ChunkEvent event) {
    Chunk c = event.chunk();
    long chars =
        c.getDelta().length()
            + c.getSessionId().length()
            + c.getRequestId().length()
            + (c.getCallId() == null ? 0 : c.getCallId().length())
            + (c.getError() == null
                ? 0
                : c.getError().getKind().length() + c.getError().getMessage().length());
    return 2 * chars + 256;
  }

  @Override
  public void close() {
    closed = true;
    Consumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    catchUps.shutdownNow();
  }

  /** A watcher's registration; {@link #cancel()} removes it. */
  public final class Subscription {
    private final String sessionId;
    private final Watcher watcher;
    private long lastOffset = -1;
    private volatile boolean cancelled;
    private volatile SessionEntry entry;

    private Subscription(String sessionId, Watcher watcher) {
      this.sessionId = sessionId;
      this.watcher = watcher;
    }

    private boolean offer(ChunkEvent e) {
      if (e.offset() <= lastOffset) {
        return true;
      }
      lastOffset = e.offset();
      return watcher.offer(e);
    }

    /** Removes the watcher; safe to call more than once and from any thread. */
    public void cancel() {
      SessionEntry current;
      synchronized (this) {
        if (cancelled) {
          return;
        }
        cancelled = true;
        current = entry;
      }
      watchers.decrementAndGet();
      if (current != null) {
        synchronized (current) {
          current.subscriptions.remove(this);
          // An entry made only for watching goes with its last watcher.
          if (current.subscriptions.isEmpty() && current.buffer.isEmpty() && !current.dead) {
            remove(current);
          }
        }
      }
    }
  }

  private static final class SessionEntry {
    final String sessionId;
    final int partition;
    final ArrayDeque<ChunkEvent> buffer = new ArrayDeque<>();
    final List<Subscription> subscriptions = new ArrayList<>();
    long bytes;
    long coveredFrom;
    long lastWrite = System.nanoTime();
    boolean dead;

    SessionEntry(String sessionId, int partition, long coveredFrom) {
      this.sessionId = sessionId;
      this.partition = partition;
      this.coveredFrom = coveredFrom;
    }

    /** The request whose chunks were written last, if its end has not come yet. */
    String requestInProgress() {
      ChunkEvent last = buffer.peekLast();
      return last == null || last.chunk().getEnd() ? null : last.chunk().getRequestId();
    }

    /** Adds {@code event}, dropping the oldest past either bound; returns the change in bytes. */
    long append(ChunkEvent event, int maxChunks, long maxBytes) {
      buffer.addLast(event);
      long size = sizeOf(event);
      bytes += size;
      lastWrite = System.nanoTime();
      long dropped = 0;
      while (buffer.size() > maxChunks || (bytes > maxBytes && buffer.size() > 1)) {
        dropped += dropFirst();
      }
      return size - dropped;
    }

    /** Drops the oldest chunks until at most {@code keepBytes} remain; returns the bytes freed. */
    long trim(long keepBytes) {
      long freed = 0;
      while (bytes > keepBytes && !buffer.isEmpty()) {
        freed += dropFirst();
      }
      return freed;
    }

    private long dropFirst() {
      ChunkEvent first = buffer.pollFirst();
      coveredFrom = first.offset() + 1;
      long size = sizeOf(first);
      bytes -= size;
      return size;
    }

    void deliver(ChunkEvent event) {
      for (Iterator<Subscription> it = subscriptions.iterator(); it.hasNext(); ) {
        Subscription sub = it.next();
        if (!sub.offer(event)) {
          it.remove();
          sub.entry = null;
          sub.cancel();
        }
      }
    }
  }
}
