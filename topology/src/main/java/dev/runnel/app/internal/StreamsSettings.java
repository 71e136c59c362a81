package dev.runnel.app.internal;

import dev.runnel.config.RunnelConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams settings Runnel runs with: its defaults, then every Kafka setting from the
 * configuration on top, so a user can override each default.
 */
public final class StreamsSettings {
  /** {@code application.id} when none is configured. */
  public static final String DEFAULT_APPLICATION_ID = "runnel";

  private StreamsSettings() {}

  public static Map<String, Object> of(RunnelConfig config) {
    Map<String, Object> client = config.kafkaClientProperties();
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    // The processor's wall-clock punctuator fires at most once per stream-thread loop, and an idle
    // loop waits poll.ms for input: 5 ms keeps finals and transactional deltas flowing at about 3%
    // of a core when idle (measured on 2 cores: 1% at 100 ms, 3% at 10, 8% at 1).
    props.put(StreamsConfig.POLL_MS_CONFIG, 5);
    props.put(
        StreamsConfig.REPLICATION_FACTOR_CONFIG,
        (int) config.getShort(RunnelConfig.TOPIC_REPLICATION_FACTOR_CONFIG));
    props.put(
        StreamsConfig.STATE_DIR_CONFIG,
        Path.of(System.getProperty("java.io.tmpdir"), "runnel-streams").toString());
    // Streams' producer lingers 100 ms; the commit flushes anyway, and 5 ms costs a quarter of a
    // core less than 0 at the same latency. An explicit linger.ms in either form wins.
    if (!client.containsKey(ProducerConfig.LINGER_MS_CONFIG)
        && !client.containsKey(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG))) {
      props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    }
    props.putAll(client);
    return props;
  }
}
