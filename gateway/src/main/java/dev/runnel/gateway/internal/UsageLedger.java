package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.topics.Topic;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tenant's usage, read from Kafka so that every gateway instance sees the same counts: the
 * prompts topic gives the requests (one prompt record each, by its timestamp), the chunks topic's
 * end records give the tokens (their usage; for an end record without usage, a cancelled run, an
 * estimate of four characters a token over its prompt and the deltas it streamed). On start it
 * reads both topics from the beginning of the UTC day, so a restarted instance counts the same.
 *
 * <p>Consistency: an instance admits a request on the counts it has read so far, so across
 * instances a quota can be overshot by the prompts admitted during the time a prompt takes to reach
 * every instance's consumer (its poll latency, milliseconds on a healthy cluster; as long as an
 * instance lags), and the token quota by the tokens of the runs still streaming when it is reached.
 * Nothing is lost: every prompt and every end record is counted once on every instance.
 */
public final class UsageLedger implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageLedger.class);
  private static final Duration MINUTE = Duration.ofMinutes(1);

  /** A tenant's counts. Guarded by itself. */
  private static final class Usage {
    final ArrayDeque<Long> requestTimes = new ArrayDeque<>();
    LocalDate day = LocalDate.MIN;
    long tokens;
    long requestsToday;
  }

  /** What an unfinished run has shown, for the estimate when its end record has no usage. */
  private static final class Run {
    long promptChars;
    int attempt = -1;
    int lastSequence = -1;
    long chars;
  }

  private final Tenancy tenancy;
  private final int requestsPerMinute;
  private final long tokensPerDay;
  private final Map<String, Usage> usage = new ConcurrentHashMap<>();
  private final Map<String, Run> runs = new HashMap<>();
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Topic<String, Prompt> prompts;
  private final Topic<String, Chunk> chunks;
  private final Thread thread;
  private volatile boolean closed;

  UsageLedger(
      Map<String, Object> clientProps,
      Topic<String, Prompt> prompts,
      Topic<String, Chunk> chunks,
      Tenancy tenancy,
      int requestsPerMinute,
      long tokensPerDay) {
    this.tenancy = tenancy;
    this.requestsPerMinute = requestsPerMinute;
    this.tokensPerDay = tokensPerDay;
    this.prompts = prompts;
    this.chunks = chunks;
    Map<String, Object> props = new HashMap<>(clientProps);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-gateway-usage");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "runnel-gateway-usage");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Admits one more prompt of {@code tenant}, or throws a 429 naming the quota with Retry-After.
   */
  void admit(String tenant) {
    long now = System.currentTimeMillis();
    Usage u = usage.computeIfAbsent(tenant, t -> new Usage());
    synchronized (u) {
      rollDay(u, now);
      if (tokensPerDay > 0 && u.tokens >= tokensPerDay) {
        long untilMidnight =
            LocalDate.ofInstant(Instant.ofEpochMilli(now), ZoneOffset.UTC)
                    .plusDays(1)
                    .atStartOfDay(ZoneOffset.UTC)
                    .toInstant()
                    .toEpochMilli()
                - now;
        throw quota(
            "the tenant has used "
                + u.tokens
                + " tokens today; its quota is "
                + tokensPerDay
                + " a day (UTC)",
            untilMidnight);
      }
      if (requestsPerMinute > 0) {
        expire(u, now);
        if (u.requestTimes.size() >= requestsPerMinute) {
          long wait = u.requestTimes.peekFirst() + MINUTE.toMillis() - now;
          throw quota(
              "the tenant sent "
                  + u.requestTimes.size()
                  + " requests in the last minute; its quota is "
                  + requestsPerMinute
                  + " a minute",
              wait);
        }
      }
    }
  }

  private static GatewayHandler.Failure quota(String message, long waitMs) {
    int seconds = (int) Math.max(1, (waitMs + 999) / 1000);
    return new GatewayHandler.Failure(
        ApiError.of(HttpResponseStatus.TOO_MANY_REQUESTS, "quota_exceeded", message)
            .retryAfter(seconds));
  }

  /** {@code tenant}'s usage and quotas, as {@code GET /v1/usage} answers them. */
  ObjectNode report(String tenant) {
    long now = System.currentTimeMillis();
    Usage u = usage.computeIfAbsent(tenant, t -> new Usage());
    ObjectNode body = Json.MAPPER.createObjectNode().put("tenant", tenant);
    synchronized (u) {
      rollDay(u, now);
      expire(u, now);
      body.put("day", LocalDate.ofInstant(Instant.ofEpochMilli(now), ZoneOffset.UTC).toString())
          .put("requests_last_minute", u.requestTimes.size())
          .put("requests_today", u.requestsToday)
          .put("tokens_today", u.tokens);
    }
    body.putObject("quota")
        .put("requests_per_minute", requestsPerMinute)
        .put("tokens_per_day", tokensPerDay);
    return body;
  }

  private static void rollDay(Usage u, long now) {
    LocalDate today = LocalDate.ofInstant(Instant.ofEpochMilli(now), ZoneOffset.UTC);
    if (!today.equals(u.day)) {
      u.day = today;
      u.tokens = 0;
      u.requestsToday = 0;
    }
  }

  private static void expire(Usage u, long now) {
    while (!u.requestTimes.isEmpty() && u.requestTimes.peekFirst() <= now - MINUTE.toMillis()) {
      u.requestTimes.pollFirst();
    }
  }

  private void run() {
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(prompts.name(), chunks.name())) {
        consumer
            .partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      long startOfDay =
          LocalDate.now(ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      Map<TopicPartition, Long> times = new HashMap<>();
      partitions.forEach(p -> times.put(p, startOfDay));
      Map<TopicPartition, OffsetAndTimestamp> found =
          consumer.offsetsForTimes(times, Duration.ofSeconds(30));
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      for (TopicPartition p : partitions) {
        OffsetAndTimestamp at = found.get(p);
        consumer.seek(p, at == null ? ends.get(p) : at.offset());
      }
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          count(record);
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        throw e;
      }
    } catch (RuntimeException e) {
      log.error("The usage ledger stopped: quotas are no longer counted on this instance", e);
    } finally {
      consumer.close();
    }
  }

  private void count(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null || record.value() == null) {
      return;
    }
    String key = prompts.keySerde().deserializer().deserialize(record.topic(), record.key());
    var tenant = tenancy.tenantOf(key);
    if (tenant.isEmpty()) {
      return;
    }
    try {
      if (record.topic().equals(prompts.name())) {
        Prompt prompt =
            prompts.valueSerde().deserializer().deserialize(record.topic(), record.value());
        Usage u = usage.computeIfAbsent(tenant.get(), t -> new Usage());
        synchronized (u) {
          rollDay(u, System.currentTimeMillis());
          u.requestTimes.addLast(record.timestamp());
          if (u.day.equals(dayOf(record.timestamp()))) {
            u.requestsToday++;
          }
        }
        if (prompt.getRequestId() != null) {
          runs.computeIfAbsent(key + "\n" + prompt.getRequestId(), k -> new Run()).promptChars =
              prompt.getContent().length();
        }
      } else {
        Chunk chunk =
            chunks.valueSerde().deserializer().deserialize(record.topic(), record.value());
        onChunk(tenant.get(), key, chunk, record.timestamp());
      }
    } catch (RuntimeException e) {
      log.debug("Usage: skipping an unreadable record of {}", record.topic(), e);
    }
  }

  private void onChunk(String tenant, String key, Chunk chunk, long timestamp) {
    String runKey = key + "\n" + chunk.getRequestId();
    if (!chunk.getEnd()) {
      Run run = runs.computeIfAbsent(runKey, k -> new Run());
      if (chunk.getAttempt() != run.attempt) {
        run.attempt = chunk.getAttempt();
        run.lastSequence = -1;
        run.chars = 0;
      }
      // Deltas of the immediate lane may come twice; one partition keeps them in order.
      if (chunk.getSequence() > run.lastSequence) {
        run.lastSequence = chunk.getSequence();
        run.chars += chunk.getDelta().length();
      }
      return;
    }
    Run run = runs.remove(runKey);
    if (chunk.getDuplicate()) {
      return; // repeats an outcome already counted
    }
    long tokens;
    if (chunk.getUsage() != null) {
      tokens = chunk.getUsage().getTotalTokens();
    } else if (run != null) {
      tokens = (run.promptChars + 3) / 4 + (run.chars + 3) / 4;
    } else {
      tokens = 0;
    }
    Usage u = usage.computeIfAbsent(tenant, t -> new Usage());
    synchronized (u) {
      rollDay(u, System.currentTimeMillis());
      if (u.day.equals(dayOf(timestamp))) {
        u.tokens += tokens;
      }
    }
  }

  private static LocalDate dayOf(long millis) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
