package dev.runnel.processor.internal;

import dev.runnel.config.RunnelConfig;
import dev.runnel.serde.SchemaRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The processor's settings, read once from {@link RunnelConfig}; {@code schemaRegistry} resolves
 * registry-framed prompts and cancellations (one client, so one id cache, for all tasks).
 */
public record ProcessorSettings(
    String cancellationsTopic,
    String chunksSink,
    String sessionsSink,
    String deadLettersSink,
    int promptMaxChars,
    String defaultModel,
    List<String> allowedModels,
    int maxRetries,
    Duration backoffInitial,
    Duration backoffMax,
    Duration punctuationInterval,
    int dedupWindow,
    int sessionQueueMax,
    int sessionMaxMessages,
    Optional<SchemaRegistry> schemaRegistry) {

  public static ProcessorSettings from(
      RunnelConfig config, String chunksSink, String sessionsSink, String deadLettersSink) {
    return new ProcessorSettings(
        config.getString(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG),
        chunksSink,
        sessionsSink,
        deadLettersSink,
        config.getInt(RunnelConfig.PROMPT_MAX_CHARS_CONFIG),
        config.getString(RunnelConfig.MODEL_DEFAULT_CONFIG),
        List.copyOf(config.allowedModels()),
        config.getInt(RunnelConfig.RETRY_MAX_RETRIES_CONFIG),
        config.retryBackoffInitial(),
        config.retryBackoffMax(),
        config.punctuationInterval(),
        config.getInt(RunnelConfig.DEDUP_WINDOW_CONFIG),
        config.getInt(RunnelConfig.SESSION_QUEUE_MAX_CONFIG),
        config.getInt(RunnelConfig.SESSION_MAX_MESSAGES_CONFIG),
        config.schemaRegistry());
  }
}
