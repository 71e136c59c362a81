package dev.runnel.topics;

import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolInvocation;
import dev.runnel.schemas.ToolResult;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.RegistryAvroSerde;
import dev.runnel.serde.SchemaRegistry;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
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
    Topic<String, DeadLetter> deadLetters,
    Topic<String, ToolInvocation> toolCalls,
    Topic<String, ToolResult> toolResults) {

  /**
   * The topics named by the configuration. Values use the schema-registry wire format when {@link
   * RunnelConfig#SCHEMA_REGISTRY_URL_CONFIG} is set (one registry client, so one id cache, shared
   * by all topics), and registry-less Avro single-object encoding otherwise.
   */
  public static Topics from(RunnelConfig config) {
    Optional<SchemaRegistry> registry = config.schemaRegistry();
    return new Topics(
        new Topic<>(
            config.getString(RunnelConfig.PROMPTS_TOPIC_CONFIG),
            Serdes.String(),
            values(Prompt.class, registry)),
        new Topic<>(
            config.getString(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG),
            Serdes.String(),
            values(Cancellation.class, registry)),
        new Topic<>(
            config.getString(RunnelConfig.CHUNKS_TOPIC_CONFIG),
            Serdes.String(),
            values(Chunk.class, registry)),
        new Topic<>(
            config.getString(RunnelConfig.SESSIONS_TOPIC_CONFIG),
            Serdes.String(),
            values(SessionState.class, registry)),
        new Topic<>(
            config.getString(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG),
            Serdes.String(),
            values(DeadLetter.class, registry)),
        new Topic<>(
            config.getString(RunnelConfig.TOOL_CALLS_TOPIC_CONFIG),
            Serdes.String(),
            values(ToolInvocation.class, registry)),
        new Topic<>(
            config.getString(RunnelConfig.TOOL_RESULTS_TOPIC_CONFIG),
            Serdes.String(),
            values(ToolResult.class, registry)));
  }

  private static <T extends SpecificRecord> Serde<T> values(
      Class<T> type, Optional<SchemaRegistry> registry) {
    return registry
        .<Serde<T>>map(r -> RegistryAvroSerde.of(type, r))
        .orElseGet(() -> AvroSerde.of(type));
  }
}
