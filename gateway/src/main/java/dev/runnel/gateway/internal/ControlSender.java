package dev.runnel.gateway.internal;

import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.ToolResult;
import dev.runnel.topics.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes a session's control records, keyed by session so they reach the session's task: its
 * cancellations to the cancellations topic, and decisions on calls that need approval to the
 * tool-results topic. Completes on the broker's ack. The producer is made on the first record.
 */
final class ControlSender implements AutoCloseable {
  private final Map<String, Object> props;
  private final Topic<String, Cancellation> cancellations;
  private final Topic<String, ToolResult> decisions;
  private KafkaProducer<String, byte[]> producer;
  // As PromptSender: send() may block on metadata, which must never stall an event loop.
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "runnel-gateway-control");
            t.setDaemon(true);
            return t;
          });

  ControlSender(
      Map<String, Object> clientProps,
      Topic<String, Cancellation> cancellations,
      Topic<String, ToolResult> decisions) {
    this.props = new HashMap<>(clientProps);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-gateway-control");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    this.cancellations = cancellations;
    this.decisions = decisions;
  }

  private synchronized KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  /** Cancels {@code requestId} of the session (its running one when null). */
  CompletableFuture<Void> cancel(String sessionKey, String requestId, String reason) {
    return send(
        cancellations,
        sessionKey,
        Cancellation.newBuilder().setRequestId(requestId).setReason(reason).build());
  }

  /** Approves or rejects a call the session's run waits on. */
  CompletableFuture<Void> decide(String sessionKey, ToolResult decision) {
    return send(decisions, sessionKey, decision);
  }

  private <V> CompletableFuture<Void> send(Topic<String, V> topic, String sessionKey, V value) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      sender.execute(() -> send(topic, sessionKey, value, acked));
    } catch (RejectedExecutionException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }

  private <V> void send(
      Topic<String, V> topic, String sessionKey, V value, CompletableFuture<Void> acked) {
    try {
      producer()
          .send(
              new ProducerRecord<>(
                  topic.name(),
                  sessionKey,
                  topic.valueSerde().serializer().serialize(topic.name(), value)),
              (metadata, error) -> {
                if (error == null) {
                  acked.complete(null);
                } else {
                  acked.completeExceptionally(error);
                }
              });
    } catch (RuntimeException e) {
      acked.completeExceptionally(e);
    }
  }

  @Override
  public synchronized void close() {
    sender.shutdown();
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
