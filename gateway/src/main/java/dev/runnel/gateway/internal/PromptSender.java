package dev.runnel.gateway.internal;

import dev.runnel.schemas.Prompt;
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
 * Writes prompts to the prompts topic with an idempotent producer; completes on the broker's ack.
 */
final class PromptSender implements AutoCloseable {
  private final KafkaProducer<String, Prompt> producer;
  private final String topic;
  // send() blocks while the producer has no metadata for the topic (up to max.block.ms, e.g. when
  // the broker is down); on its own thread that never stalls the event loops carrying the streams.
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "runnel-gateway-send");
            t.setDaemon(true);
            return t;
          });

  PromptSender(Map<String, Object> clientProps, Topic<String, Prompt> prompts) {
    Map<String, Object> props = new HashMap<>(clientProps);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-gateway-prompts");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    this.producer =
        new KafkaProducer<>(
            props, prompts.keySerde().serializer(), prompts.valueSerde().serializer());
    this.topic = prompts.name();
  }

  CompletableFuture<Void> send(String sessionId, Prompt prompt) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      sender.execute(
          () -> {
            try {
              producer.send(
                  new ProducerRecord<>(topic, sessionId, prompt),
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
          });
    } catch (RejectedExecutionException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }

  @Override
  public void close() {
    sender.shutdown();
    producer.close(Duration.ofSeconds(5));
  }
}
