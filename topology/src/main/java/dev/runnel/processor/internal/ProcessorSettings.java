package dev.runnel.processor.internal;

import dev.runnel.config.RunnelConfig;
import dev.runnel.serde.SchemaRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The processor's settings, read once from {@link RunnelConfig}; {@code schemaRegistry} resolves
 * registry-framed input records (one client, so one id cache, for all tasks).
 */
public record ProcessorSettings(
    String cancellationsTopic,
    String toolResultsTopic,
    String chunksSink,
    String sessionsSink,
    String deadLettersSink,
    String toolCallsSink,
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
    int sessionMaxBytes,
    int maxRecordBytes,
    int deltaCoalesceMaxChars,
    Optional<SchemaRegistry> schemaRegistry) {

  /**
   * Room a record needs beside its value: its key (at most {@link SessionKeys#MAX_BYTES}), the
   * batch and record headers, and the few bytes by which another encoding of the value (registry
   * wire format) or the record that wraps a prompt (the pending request) is larger.
   */
  static final int RECORD_HEADROOM = 64 * 1024;

  private static final int DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

  /** Upper bound on a remembered outcome's encoding beside its request id. */
  private static final int OUTCOME_BYTES_BESIDE_ID = 128;

  public static ProcessorSettings from(
      RunnelConfig config,
      String chunksSink,
      String sessionsSink,
      String deadLettersSink,
      String toolCallsSink) {
    int sessionMaxBytes = config.getInt(RunnelConfig.SESSION_MAX_BYTES_CONFIG);
    int maxRecordBytes = producerMaxRequestSize(config.originals());
    if (sessionMaxBytes > maxRecordBytes - RECORD_HEADROOM) {
      throw new ConfigException(
          RunnelConfig.SESSION_MAX_BYTES_CONFIG,
          sessionMaxBytes,
          "must be at most the producer's max.request.size ("
              + maxRecordBytes
              + ") minus "
              + RECORD_HEADROOM
              + ", so that every session state and accepted prompt fits in one record");
    }
    int dedupWindow = config.getInt(RunnelConfig.DEDUP_WINDOW_CONFIG);
    // A session's queue record holds that many outcomes: a request id of up to 3 bytes a
    // character, its call id and a few numbers.
    long idsBytes =
        (long) dedupWindow
            * (StreamingActionProcessor.MAX_REQUEST_ID_CHARS * 3L + OUTCOME_BYTES_BESIDE_ID);
    if (idsBytes > maxRecordBytes - RECORD_HEADROOM) {
      throw new ConfigException(
          RunnelConfig.DEDUP_WINDOW_CONFIG,
          dedupWindow,
          "the outcomes it keeps could take "
              + idsBytes
              + " bytes, more than fit in one record under the producer's max.request.size ("
              + maxRecordBytes
              + ")");
    }
    int coalesceMaxChars = config.getInt(RunnelConfig.DELTA_COALESCE_MAX_CHARS_CONFIG);
    long bufferBytes = config.deltaLaneBufferBytes();
    // A merged record waits in the lane's buffer like any delta (two bytes a character); one that
    // could never fit would fail every call that streams faster than the broker acknowledges.
    if (config.immediateLane() && 2L * coalesceMaxChars > bufferBytes) {
      throw new ConfigException(
          RunnelConfig.DELTA_COALESCE_MAX_CHARS_CONFIG,
          coalesceMaxChars,
          "a merged delta record of that many characters takes "
              + 2L * coalesceMaxChars
              + " bytes, more than "
              + RunnelConfig.DELTA_LANE_BUFFER_BYTES_CONFIG
              + "="
              + bufferBytes);
    }
    return new ProcessorSettings(
        config.getString(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG),
        config.getString(RunnelConfig.TOOL_RESULTS_TOPIC_CONFIG),
        chunksSink,
        sessionsSink,
        deadLettersSink,
        toolCallsSink,
        config.getInt(RunnelConfig.PROMPT_MAX_CHARS_CONFIG),
        config.getString(RunnelConfig.MODEL_DEFAULT_CONFIG),
        List.copyOf(config.allowedModels()),
        config.getInt(RunnelConfig.RETRY_MAX_RETRIES_CONFIG),
        config.retryBackoffInitial(),
        config.retryBackoffMax(),
        config.punctuationInterval(),
        dedupWindow,
        config.getInt(RunnelConfig.SESSION_QUEUE_MAX_CONFIG),
        config.getInt(RunnelConfig.SESSION_MAX_MESSAGES_CONFIG),
        sessionMaxBytes,
        maxRecordBytes,
        coalesceMaxChars,
        config.schemaRegistry());
  }

  /** The Streams producer's max.request.size, as Kafka Streams resolves it from the settings. */
  static int producerMaxRequestSize(Map<String, Object> settings) {
    String key = ProducerConfig.MAX_REQUEST_SIZE_CONFIG;
    Object value = settings.get(StreamsConfig.producerPrefix(key));
    if (value == null) {
      value = settings.get(key);
    }
    if (value == null) {
      return DEFAULT_MAX_REQUEST_SIZE;
    }
    try {
      return value instanceof Number n ? n.intValue() : Integer.parseInt(value.toString().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, value, "must be an integer");
    }
  }

  /** The largest value a record keyed by {@code keyBytes} bytes may have. */
  int maxValueBytes(int keyBytes) {
    return maxRecordBytes - 1024 - keyBytes;
  }
}
