package dev.runnel.app.internal;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows the chunks and sessions topics and prints replies as they stream, token by token, each
 * run of deltas prefixed by its session. Reads committed records only, as a downstream consumer
 * should; immediate-lane deltas are outside transactions and so show at once.
 */
public final class ConsolePrinter implements Runnable, AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final Topics topics;
  private final PrintStream out;
  private final Map<String, SessionState> latest = new ConcurrentHashMap<>();
  // request id -> the call and sequence of the last delta printed, to skip the immediate lane's
  // at-least-once duplicates and to see a restarted call.
  private final Map<String, Printed> printed = new HashMap<>();
  private String lineOwner;
  private boolean stopped;

  public ConsolePrinter(String bootstrapServers, Topics topics, PrintStream out) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    this.topics = topics;
    this.out = out;
    // Reads every partition itself, like a UI would: no consumer group, nothing committed.
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(topics.chunks().name(), topics.sessions().name())) {
      consumer
          .partitionsFor(topic)
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  @Override
  public void run() {
    try {
      while (true) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(topics.chunks().name())) {
            onChunk(
                topics
                    .chunks()
                    .valueSerde()
                    .deserializer()
                    .deserialize(record.topic(), record.value()));
          } else {
            SessionState state =
                topics
                    .sessions()
                    .valueSerde()
                    .deserializer()
                    .deserialize(record.topic(), record.value());
            latest.put(state.getSessionId(), state);
            synchronized (latest) {
              latest.notifyAll();
            }
          }
        }
      }
    } catch (WakeupException e) {
      // close() asked us to stop.
    } finally {
      consumer.close();
      synchronized (latest) {
        stopped = true;
        latest.notifyAll();
      }
    }
  }

  /**
   * Waits until the latest states seen satisfy {@code done}.
   *
   * @return true once they do; false if the printer stops first (it was closed)
   * @throws TimeoutException if {@code timeout} passes first
   */
  public boolean awaitSessions(Predicate<Map<String, SessionState>> done, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (latest) {
      while (!done.test(sessions())) {
        if (stopped) {
          return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException("the sessions were not done within " + timeout);
        }
        TimeUnit.NANOSECONDS.timedWait(latest, left);
      }
      return true;
    }
  }

  /** The latest state seen per session. */
  public Map<String, SessionState> sessions() {
    return Map.copyOf(latest);
  }

  /** Prints each session's latest state: version, status, the conversation and the fields. */
  public synchronized void printSessions() {
    endLine();
    latest.values().stream()
        .sorted(Comparator.comparing(SessionState::getSessionId))
        .forEach(
            state -> {
              out.printf(
                  "session %s: version %d, last request %s %s, %d tokens in total%n",
                  state.getSessionId(),
                  state.getVersion(),
                  state.getLastRequestId(),
                  state.getLastStatus(),
                  state.getUsage().getTotalTokens());
              for (Message message : state.getMessages()) {
                out.printf("    %-9s %s%n", message.getRole(), message.getContent());
              }
              Map<String, String> fields = new TreeMap<>(state.getFields());
              fields.putAll(state.getJsonFields());
              if (!fields.isEmpty()) {
                out.printf("    fields    %s%n", fields);
              }
            });
    out.flush();
  }

  private synchronized void onChunk(Chunk chunk) {
    String session = chunk.getSessionId();
    Printed last = printed.get(chunk.getRequestId());
    boolean sameCall =
        last != null
            && chunk.getAttempt() == last.attempt()
            && Objects.equals(chunk.getCallId(), last.callId());
    if (last != null
        && (chunk.getAttempt() < last.attempt()
            || (sameCall && chunk.getSequence() <= last.sequence()))) {
      return;
    }
    if (last != null && !sameCall && !chunk.getEnd()) {
      switchTo(session);
      out.printf("(restarting, attempt %d) ", chunk.getAttempt());
    }
    printed.put(
        chunk.getRequestId(),
        new Printed(chunk.getAttempt(), chunk.getCallId(), chunk.getSequence()));
    if (chunk.getEnd()) {
      switchTo(session);
      if (chunk.getError() != null) {
        out.printf("[failed: %s]", chunk.getError().getMessage());
      } else {
        if (chunk.getUsage() == null) {
          out.printf("[%s]", chunk.getFinishReason());
        } else {
          out.printf(
              "[%s, %d tokens]", chunk.getFinishReason(), chunk.getUsage().getCompletionTokens());
        }
      }
      endLine();
    } else {
      switchTo(session);
      out.print(chunk.getDelta());
    }
    out.flush();
  }

  private void switchTo(String session) {
    if (!session.equals(lineOwner)) {
      endLine();
      out.print("[" + session + "] ");
      lineOwner = session;
    }
  }

  private void endLine() {
    if (lineOwner != null) {
      out.println();
      lineOwner = null;
    }
  }

  @Override
  public void close() {
    consumer.wakeup();
  }

  private record Printed(int attempt, String callId, int sequence) {}
}
