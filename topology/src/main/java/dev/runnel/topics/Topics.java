package dev.runnel.topics;

import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.serde.AvroSerde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Runnel's topics, every one keyed by session id. Topology, tests, tools and benchmarks use this
 * registry, so a topic name or serde is spelled once.
 */
public record Topics(
    Topic<String, Prompt> prompts,
    Topic<String, Cancellation> cancellations,
    Topic<String, Chunk> chunks,
    Topic<String, SessionState> sessions,
    Topic<String, DeadLetter> deadLetters) {

  /** The topics named by the configuration, with the default (registry-less) serdes. */
  public static Topics from(RunnelConfig config) {
    return new Topics(
        new Topic<>(
            config.getString(RunnelConfig.PROMPTS_TOPIC_CONFIG),
            Serdes.String(),
            AvroSerde.of(Prompt.class)),
        new Topic<>(
            config.getString(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG),
            Serdes.String(),
            AvroSerde.of(Cancellation.class)),
        new Topic<>(
            config.getString(RunnelConfig.CHUNKS_TOPIC_CONFIG),
            Serdes.String(),
            AvroSerde.of(Chunk.class)),
        new Topic<>(
            config.getString(RunnelConfig.SESSIONS_TOPIC_CONFIG),
            Serdes.String(),
            AvroSerde.of(SessionState.class)),
        new Topic<>(
            config.getString(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG),
            Serdes.String(),
            AvroSerde.of(DeadLetter.class)));
  }
}
