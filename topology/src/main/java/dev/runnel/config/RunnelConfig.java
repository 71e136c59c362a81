package dev.runnel.config;

import dev.runnel.serde.SchemaRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Runnel's configuration: every setting, its default, validator and documentation in one {@link
 * ConfigDef}. The README's configuration reference is generated from {@link #CONFIG}.
 */
public final class RunnelConfig extends AbstractConfig {

  public static final String PROMPTS_TOPIC_CONFIG = "runnel.topic.prompts";
  private static final String PROMPTS_TOPIC_DOC = "Input topic of prompts, keyed by session id.";

  public static final String CANCELLATIONS_TOPIC_CONFIG = "runnel.topic.cancellations";
  private static final String CANCELLATIONS_TOPIC_DOC =
      "Input topic of cancellations, keyed by session id.";

  public static final String CHUNKS_TOPIC_CONFIG = "runnel.topic.chunks";
  private static final String CHUNKS_TOPIC_DOC =
      "Output topic of response deltas and end records, keyed by session id.";

  public static final String SESSIONS_TOPIC_CONFIG = "runnel.topic.sessions";
  private static final String SESSIONS_TOPIC_DOC =
      "Compacted output topic of the latest session state, keyed by session id.";

  public static final String DEAD_LETTERS_TOPIC_CONFIG = "runnel.topic.dead.letters";
  private static final String DEAD_LETTERS_TOPIC_DOC =
      "Output topic of rejected input and requests that failed for good.";

  public static final String DELTA_LANE_CONFIG = "runnel.delta.lane";
  public static final String LANE_IMMEDIATE = "immediate";
  public static final String LANE_TRANSACTIONAL = "transactional";
  private static final String DELTA_LANE_DOC =
      "How deltas reach the chunks topic. 'immediate': a separate idempotent producer sends each"
          + " delta the moment it arrives (visible within milliseconds, at least once; consumers"
          + " de-duplicate by request id, attempt and sequence). 'transactional': deltas go"
          + " through the topology and become visible with each exactly-once commit. End records"
          + " and session state are exactly once in both lanes.";

  public static final String MAX_IN_FLIGHT_CONFIG = "runnel.max.in.flight";
  private static final String MAX_IN_FLIGHT_DOC =
      "Upper bound on model calls open at once in one instance (all stream threads). Prompts"
          + " beyond it wait in the durable per-session queue.";

  public static final String RETRY_MAX_RETRIES_CONFIG = "runnel.retry.max.retries";
  private static final String RETRY_MAX_RETRIES_DOC =
      "How many times a request is retried after a retriable failure before it fails for good.";

  public static final String RETRY_BACKOFF_INITIAL_MS_CONFIG = "runnel.retry.backoff.initial.ms";
  private static final String RETRY_BACKOFF_INITIAL_MS_DOC =
      "Wait before the first retry; it doubles with every further retry (with jitter), and a"
          + " longer Retry-After from the server wins.";

  public static final String RETRY_BACKOFF_MAX_MS_CONFIG = "runnel.retry.backoff.max.ms";
  private static final String RETRY_BACKOFF_MAX_MS_DOC = "Upper bound on the wait between retries.";

  public static final String PROMPT_MAX_CHARS_CONFIG = "runnel.prompt.max.chars";
  private static final String PROMPT_MAX_CHARS_DOC =
      "Longest prompt accepted, in UTF-16 code units; a longer one goes to the dead-letter topic.";

  public static final String MODEL_DEFAULT_CONFIG = "runnel.model.default";
  private static final String MODEL_DEFAULT_DOC = "Model used when a prompt names none.";

  public static final String MODEL_ALLOWED_CONFIG = "runnel.model.allowed";
  private static final String MODEL_ALLOWED_DOC =
      "Models a prompt may name. Empty allows any; a prompt naming another goes to the"
          + " dead-letter topic as UNKNOWN_MODEL.";

  public static final String PUNCTUATION_INTERVAL_MS_CONFIG = "runnel.punctuation.interval.ms";
  private static final String PUNCTUATION_INTERVAL_MS_DOC =
      "How often the stream thread takes in model events (finals, failures, transactional"
          + " deltas). Kafka Streams' poll.ms also bounds it.";

  public static final String DEDUP_WINDOW_CONFIG = "runnel.dedup.window";
  private static final String DEDUP_WINDOW_DOC =
      "How many applied request ids each session remembers; a prompt repeating one of them (or"
          + " a queued one) is acknowledged and not run again.";

  public static final String SESSION_QUEUE_MAX_CONFIG = "runnel.session.queue.max";
  private static final String SESSION_QUEUE_MAX_DOC =
      "Most prompts one session may have waiting; a prompt beyond it goes to the dead-letter"
          + " topic as SESSION_QUEUE_FULL (it is never accepted, so never lost).";

  public static final String SESSION_MAX_MESSAGES_CONFIG = "runnel.session.max.messages";
  private static final String SESSION_MAX_MESSAGES_DOC =
      "Most messages a session's conversation keeps; older ones are dropped first, so a session"
          + " state stays well under Kafka's record size limit.";
  // ---- Schema registry mode (deployment). Unset URL: registry-less single-object encoding. ----

  public static final String SCHEMA_REGISTRY_URL_CONFIG = "runnel.schema.registry.url";
  private static final String SCHEMA_REGISTRY_URL_DOC =
      "Base URL of a schema registry speaking the common REST API (Confluent Schema Registry,"
          + " Apicurio's ccompat API, Karapace, Redpanda), such as http://registry:8081. When set,"
          + " every topic's values use the registry wire format (magic byte 0, 4-byte schema id,"
          + " Avro binary) with subjects named <topic>-value. When empty, values use Avro"
          + " single-object encoding and no registry is needed.";

  public static final String SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG =
      "runnel.schema.registry.basic.auth.user.info";
  private static final String SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_DOC =
      "user:password for HTTP basic authentication at the schema registry. Supply it through the"
          + " environment or a config provider (for example ${file:/run/secrets/registry:user.info}),"
          + " never in a committed file.";

  public static final String SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG =
      "runnel.schema.registry.timeout.ms";
  private static final String SCHEMA_REGISTRY_TIMEOUT_MS_DOC =
      "Connect and request timeout of each schema registry call. Calls happen only the first time"
          + " a schema or id is seen; answers are cached.";

  public static final ConfigDef CONFIG =
      new ConfigDef()
          .define(
              PROMPTS_TOPIC_CONFIG,
              Type.STRING,
              "runnel.prompts",
              Importance.HIGH,
              PROMPTS_TOPIC_DOC)
          .define(
              CANCELLATIONS_TOPIC_CONFIG,
              Type.STRING,
              "runnel.cancellations",
              Importance.MEDIUM,
              CANCELLATIONS_TOPIC_DOC)
          .define(
              CHUNKS_TOPIC_CONFIG, Type.STRING, "runnel.chunks", Importance.HIGH, CHUNKS_TOPIC_DOC)
          .define(
              SESSIONS_TOPIC_CONFIG,
              Type.STRING,
              "runnel.sessions",
              Importance.HIGH,
              SESSIONS_TOPIC_DOC)
          .define(
              DEAD_LETTERS_TOPIC_CONFIG,
              Type.STRING,
              "runnel.dead-letters",
              Importance.HIGH,
              DEAD_LETTERS_TOPIC_DOC)
          .define(
              DELTA_LANE_CONFIG,
              Type.STRING,
              LANE_IMMEDIATE,
              ValidString.in(LANE_IMMEDIATE, LANE_TRANSACTIONAL),
              Importance.HIGH,
              DELTA_LANE_DOC)
          .define(
              MAX_IN_FLIGHT_CONFIG,
              Type.INT,
              256,
              Range.atLeast(1),
              Importance.HIGH,
              MAX_IN_FLIGHT_DOC)
          .define(
              RETRY_MAX_RETRIES_CONFIG,
              Type.INT,
              3,
              Range.atLeast(0),
              Importance.MEDIUM,
              RETRY_MAX_RETRIES_DOC)
          .define(
              RETRY_BACKOFF_INITIAL_MS_CONFIG,
              Type.LONG,
              500L,
              Range.atLeast(0),
              Importance.LOW,
              RETRY_BACKOFF_INITIAL_MS_DOC)
          .define(
              RETRY_BACKOFF_MAX_MS_CONFIG,
              Type.LONG,
              30_000L,
              Range.atLeast(0),
              Importance.LOW,
              RETRY_BACKOFF_MAX_MS_DOC)
          .define(
              PROMPT_MAX_CHARS_CONFIG,
              Type.INT,
              32_768,
              Range.atLeast(1),
              Importance.MEDIUM,
              PROMPT_MAX_CHARS_DOC)
          .define(
              MODEL_DEFAULT_CONFIG, Type.STRING, "runnel-sim", Importance.HIGH, MODEL_DEFAULT_DOC)
          .define(MODEL_ALLOWED_CONFIG, Type.LIST, "", Importance.MEDIUM, MODEL_ALLOWED_DOC)
          .define(
              PUNCTUATION_INTERVAL_MS_CONFIG,
              Type.LONG,
              5L,
              Range.atLeast(1),
              Importance.LOW,
              PUNCTUATION_INTERVAL_MS_DOC)
          .define(
              DEDUP_WINDOW_CONFIG,
              Type.INT,
              256,
              Range.atLeast(1),
              Importance.LOW,
              DEDUP_WINDOW_DOC)
          .define(
              SESSION_QUEUE_MAX_CONFIG,
              Type.INT,
              1000,
              Range.atLeast(1),
              Importance.MEDIUM,
              SESSION_QUEUE_MAX_DOC)
          .define(
              SESSION_MAX_MESSAGES_CONFIG,
              Type.INT,
              100,
              Range.atLeast(2),
              Importance.MEDIUM,
              SESSION_MAX_MESSAGES_DOC)
          .define(
              SCHEMA_REGISTRY_URL_CONFIG,
              Type.STRING,
              "",
              Importance.MEDIUM,
              SCHEMA_REGISTRY_URL_DOC)
          .define(
              SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_DOC)
          .define(
              SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG,
              Type.LONG,
              10_000L,
              Range.atLeast(1),
              Importance.LOW,
              SCHEMA_REGISTRY_TIMEOUT_MS_DOC);

  public RunnelConfig(Map<?, ?> originals) {
    super(CONFIG, originals, false);
  }

  public boolean immediateLane() {
    return LANE_IMMEDIATE.equals(getString(DELTA_LANE_CONFIG));
  }

  public Duration retryBackoffInitial() {
    return Duration.ofMillis(getLong(RETRY_BACKOFF_INITIAL_MS_CONFIG));
  }

  public Duration retryBackoffMax() {
    return Duration.ofMillis(getLong(RETRY_BACKOFF_MAX_MS_CONFIG));
  }

  public Duration punctuationInterval() {
    return Duration.ofMillis(getLong(PUNCTUATION_INTERVAL_MS_CONFIG));
  }

  /** The schema registry to use, or empty for registry-less serialization. */
  public Optional<SchemaRegistry> schemaRegistry() {
    String url = getString(SCHEMA_REGISTRY_URL_CONFIG);
    if (url == null || url.isBlank()) {
      return Optional.empty();
    }
    Password userInfo = getPassword(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG);
    try {
      return Optional.of(
          SchemaRegistry.connect(
              url.strip(),
              userInfo == null ? null : userInfo.value(),
              Duration.ofMillis(getLong(SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG))));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, url, e.getMessage());
    }
  }

  public List<String> allowedModels() {
    return getList(MODEL_ALLOWED_CONFIG);
  }
}
