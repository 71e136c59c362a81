package dev.runnel.gateway.internal;

import dev.runnel.schemas.Cancellation;
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

/**
 * Writes cancellations to the cancellations topic, keyed by session so they are ordered with the
 * session's prompts; completes on the broker's ack. The producer is made on the first cancellation.
 */
final class CancellationSender implements AutoCloseable {
  private final Map<String, Object> props;
  private final Topic<String, Cancellation> topic;
  private KafkaProducer<String, Cancellation> producer;
  // As PromptSender: send() may block on metadata, which must never stall an event loop.
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "runnel-gateway-cancel");
            t.setDaemon(true);
            return t;
          });

  CancellationSender(Map<String, Object> clientProps, Topic<String, Cancellation> topic) {
    this.props = new HashMap<>(clientProps);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-gateway-cancellations");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    this.topic = topic;
  }

  private synchronized KafkaProducer<String, Cancellation> producer() {
    if (producer == null) {
      producer =
          new KafkaProducer<>(
              props, topic.keySerde().serializer(), topic.valueSerde().serializer());
    }
    return producer;
  }

  CompletableFuture<Void> send(String sessionKey, String requestId, String reason) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      sender.execute(() -> send(sessionKey, requestId, reason, acked));
    } catch (RejectedExecutionException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }

  private void send(
      String sessionKey, String requestId, String reason, CompletableFuture<Void> acked) {
    try {
      producer()
          .send(
              new ProducerRecord<>(
                  topic.name(),
                  sessionKey,
                  Cancellation.newBuilder().setRequestId(requestId).setReason(reason).build()),
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
