package dev.runnel.processor;

import dev.runnel.schemas.Chunk;
import dev.runnel.topics.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Immediate-lane publisher over its own idempotent producer with {@code linger.ms=0}, so a delta is
 * on the broker within a network round trip of arriving from the model.
 */
public final class KafkaDeltaPublisher implements DeltaPublisher {
  private final Producer<String, Chunk> producer;
  private final String topic;

  public KafkaDeltaPublisher(Producer<String, Chunk> producer, String topic) {
    this.producer = producer;
    this.topic = topic;
  }

  /**
   * A publisher with its own producer.
   *
   * @param clientProperties connection and security settings shared with the other clients
   */
  public static KafkaDeltaPublisher create(
      Map<String, Object> clientProperties, Topic<String, Chunk> chunks) {
    Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "runnel-immediate-lane");
    Producer<String, Chunk> producer =
        new KafkaProducer<>(
            props, chunks.keySerde().serializer(), chunks.valueSerde().serializer());
    return new KafkaDeltaPublisher(producer, chunks.name());
  }

  @Override
  public CompletionStage<Void> send(Chunk delta) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      producer.send(
          new ProducerRecord<>(topic, delta.getSessionId(), delta),
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
    return acked;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
