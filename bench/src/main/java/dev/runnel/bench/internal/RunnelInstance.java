package dev.runnel.bench.internal;

import dev.runnel.app.ChatModels;
import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.topics.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * One Runnel instance as the application runs it ({@link Runnel}: its Kafka Streams defaults, topic
 * provisioning, the immediate-lane publisher), over the OpenAI-format client pointed at the
 * simulator.
 */
public final class RunnelInstance implements AutoCloseable {
  private final Runnel app;
  private final RunnelConfig config;

  private RunnelInstance(Runnel app, RunnelConfig config) {
    this.app = app;
    this.config = config;
  }

  /** The configuration of an instance of the given lane; topics are named after {@code prefix}. */
  public static RunnelConfig config(
      String bootstrapServers, String lane, String applicationId, String prefix, int maxInFlight) {
    Map<String, Object> props = new HashMap<>();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    try {
      props.put(
          StreamsConfig.STATE_DIR_CONFIG,
          Files.createTempDirectory("runnel-bench-state-").toString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a state directory", e);
    }
    props.put(RunnelConfig.DELTA_LANE_CONFIG, lane);
    props.put(RunnelConfig.MAX_IN_FLIGHT_CONFIG, maxInFlight);
    props.put(RunnelConfig.METRICS_PORT_CONFIG, 0);
    props.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, prefix + ".prompts");
    props.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, prefix + ".cancellations");
    props.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, prefix + ".chunks");
    props.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, prefix + ".sessions");
    props.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, prefix + ".dead-letters");
    return new RunnelConfig(props);
  }

  /** Starts an instance and waits until it is running. */
  public static RunnelInstance start(RunnelConfig config, String modelBaseUrl)
      throws InterruptedException {
    Runnel app =
        Runnel.builder(config)
            .action(
                ChatModels.chatAction(
                    config, OpenAiChatModel.builder().baseUrl(modelBaseUrl).build()))
            .start();
    RunnelInstance instance = new RunnelInstance(app, config);
    instance.awaitRunning(Duration.ofSeconds(60));
    return instance;
  }

  public Topics topics() {
    return Topics.from(config);
  }

  public RunnelConfig config() {
    return config;
  }

  /** Waits until Kafka Streams is running (after start or a rebalance). */
  public void awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (app.streams().state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Runnel did not reach RUNNING within " + timeout + ": " + app.streams().state());
      }
      Thread.sleep(100);
    }
  }

  @Override
  public void close() {
    app.close();
  }
}
