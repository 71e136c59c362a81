package dev.runnel.app.it;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a topic from the beginning on its own thread, as a downstream consumer would, and keeps
 * every record with the moment it arrived.
 */
final class TopicFollower<V> implements AutoCloseable {
  /** A record as received. */
  record Received<V>(int partition, String key, V value, Instant receivedAt) {}

  private final KafkaConsumer<String, V> consumer;
  private final Thread thread;
  private final List<Received<V>> records = new CopyOnWriteArrayList<>();

  TopicFollower(
      String bootstrapServers, String topic, Deserializer<V> values, boolean readCommitted) {
    this.consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                readCommitted ? "read_committed" : "read_uncommitted",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            values);
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(this::run, "follower-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(50))) {
          records.add(
              new Received<>(record.partition(), record.key(), record.value(), Instant.now()));
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  List<Received<V>> records() {
    return List.copyOf(records);
  }

  List<V> values() {
    return records.stream().map(Received::value).toList();
  }

  long count(Predicate<V> filter) {
    return records.stream().map(Received::value).filter(filter).count();
  }

  @Override
  public void close() {
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
