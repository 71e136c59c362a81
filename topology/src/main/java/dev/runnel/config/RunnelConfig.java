package dev.runnel.config;

import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.internal.SseHttpClient;
import dev.runnel.serde.SchemaRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
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
  /** Settings with this prefix are Runnel's own; every other one goes to the Kafka clients. */
  public static final String RUNNEL_PREFIX = "runnel.";

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

  public static final String TOOL_CALLS_TOPIC_CONFIG = "runnel.topic.tool.calls";
  private static final String TOOL_CALLS_TOPIC_DOC =
      "Output topic of the calls runs ask remote tools to answer (ToolInvocation), keyed by session"
          + " id. Used only when a hosted application declares a remote tool.";

  public static final String TOOL_RESULTS_TOPIC_CONFIG = "runnel.topic.tool.results";
  private static final String TOOL_RESULTS_TOPIC_DOC =
      "Input topic of tool services' answers (ToolResult), keyed by session id, with the prompts"
          + " topic's partition count. Used only when a hosted application declares a remote tool.";

  public static final String DEAD_LETTERS_TOPIC_CONFIG = "runnel.topic.dead.letters";
  private static final String DEAD_LETTERS_TOPIC_DOC =
      "Output topic of rejected input and requests that failed for good.";

  public static final String DELTA_LANE_CONFIG = "runnel.delta.lane";
  public static final String LANE_IMMEDIATE = "immediate";
  public static final String LANE_TRANSACTIONAL = "transactional";
  private static final String DELTA_LANE_DOC =
      "How deltas reach the chunks topic. 'immediate': a separate idempotent producer sends each"
          + " delta the moment it arrives (visible within milliseconds, at least once; consumers"
          + " de-duplicate by request id, attempt, callId and sequence). 'transactional': deltas go"
          + " through the topology and become visible with each exactly-once commit. End records"
          + " and session state are exactly once in both lanes.";

  public static final String DELTA_LANE_BUFFER_BYTES_CONFIG = "runnel.delta.lane.buffer.bytes";
  public static final long DELTA_LANE_BUFFER_BYTES_DEFAULT = 8L * 1024 * 1024;
  private static final String DELTA_LANE_BUFFER_BYTES_DOC =
      "Immediate lane: most bytes of delta records (two per character plus 64 per record) that"
          + " may wait to be handed to its producer, by all calls of the instance together. Model"
          + " threads never wait on Kafka: when the buffer is full (the broker is slow or"
          + " unreachable) a new delta fails at once, and its attempt fails as DELTA_NOT_WRITTEN"
          + " and is retried.";

  public static final String DELTA_COALESCE_MAX_CHARS_CONFIG = "runnel.delta.coalesce.max.chars";
  public static final int DELTA_COALESCE_MAX_CHARS_DEFAULT = 8192;
  public static final int DELTA_COALESCE_MAX_CHARS_MAX = 256 * 1024;
  private static final String DELTA_COALESCE_MAX_CHARS_DOC =
      "Immediate lane: while a call's previous delta record is not yet acknowledged by the"
          + " broker, the call's later deltas merge into one record, which is sent when that"
          + " acknowledgement arrives, or at once when it holds at least this many characters. A"
          + " delta of a call with nothing in flight is sent at once, so coalescing adds no delay"
          + " when the lane is idle. A record's sequence stays its position within the call"
          + " (0, 1, 2, ...), and the end record's sequence the number of delta records. 0 sends"
          + " every delta as its own record.";

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
          + " longer Retry-After from the server wins, up to runnel.retry.backoff.max.ms.";

  public static final String RETRY_BACKOFF_MAX_MS_CONFIG = "runnel.retry.backoff.max.ms";
  private static final String RETRY_BACKOFF_MAX_MS_DOC =
      "Upper bound on the wait between retries, a server's Retry-After included.";

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
          + " deltas), while a task has calls running or requests waiting; an idle task does not"
          + " punctuate, so an idle instance does not commit. Kafka Streams' poll.ms also bounds"
          + " it.";

  public static final String DEDUP_WINDOW_CONFIG = "runnel.dedup.window";
  private static final String DEDUP_WINDOW_DOC =
      "How many applied requests each session remembers with their outcome; a prompt repeating"
          + " one of their ids is answered with an end record marked duplicate that repeats the"
          + " outcome, and is not run again (one repeating a queued or running request is"
          + " answered by that request's own chunks). A session's outcomes are kept in one"
          + " record, so at most about 1090 with the default max.request.size.";

  public static final String SESSION_QUEUE_MAX_CONFIG = "runnel.session.queue.max";
  private static final String SESSION_QUEUE_MAX_DOC =
      "Most prompts one session may have waiting; a prompt beyond it goes to the dead-letter"
          + " topic as SESSION_QUEUE_FULL (it is never accepted, so never lost).";

  public static final String SESSION_MAX_MESSAGES_CONFIG = "runnel.session.max.messages";
  private static final String SESSION_MAX_MESSAGES_DOC =
      "Most messages a session's conversation keeps; older ones are dropped first."
          + " runnel.session.max.bytes bounds the conversation's size.";

  public static final String SESSION_MAX_BYTES_CONFIG = "runnel.session.max.bytes";
  private static final String SESSION_MAX_BYTES_DOC =
      "Largest encoded size, in bytes, of a session's state and of a prompt record. When a final"
          + " would make the state larger, the oldest messages (never system messages, never the"
          + " exchange just added) are dropped until it fits, and the state's droppedMessages"
          + " counts them; if even the newest exchange does not fit, the request fails with"
          + " STATE_TOO_LARGE. A prompt record larger than this goes to the dead-letter topic as"
          + " PROMPT_TOO_LARGE. It must be at least 64 KiB below the producer's max.request.size"
          + " (1048576 unless set), or startup fails.";
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

  // ---- Model endpoint (provider, URL, credentials, timeouts) ----

  public static final String MODEL_PROVIDER_CONFIG = "runnel.model.provider";
  public static final String PROVIDER_OPENAI = "openai";
  public static final String PROVIDER_ANTHROPIC = "anthropic";
  public static final String PROVIDER_SIMULATED = "simulated";
  private static final String MODEL_PROVIDER_DOC =
      "Wire format of the model endpoint. 'openai': OpenAI Chat Completions streaming (also vLLM,"
          + " Ollama, llama.cpp, LM Studio, new-api, LiteLLM). 'anthropic': Anthropic Messages"
          + " streaming. 'simulated': Runnel's simulated model server (OpenAI format); with no base"
          + " URL the embedded mode starts one in-process.";

  public static final String MODEL_BASE_URL_CONFIG = "runnel.model.base.url";
  private static final String MODEL_BASE_URL_DOC =
      "Base URL of the model endpoint. OpenAI format: up to the version path"
          + " (https://api.openai.com/v1, http://localhost:11434/v1); Anthropic: without it"
          + " (https://api.anthropic.com, the default for that provider). user:password@ in it is"
          + " sent as HTTP Basic authentication (for a proxy in front of the model; with the"
          + " OpenAI format it cannot be combined with an API key). A query string is kept on"
          + " every call. Neither the userinfo nor the query string ever appears in a log, an"
          + " error message or a topic.";

  public static final String MODEL_API_KEY_ENV_CONFIG = "runnel.model.api.key.env";
  private static final String MODEL_API_KEY_ENV_DOC =
      "Name of the environment variable holding the API key. Unset or empty variable: no key is"
          + " sent (local servers). The key itself is never a setting, never logged, never on a"
          + " topic.";

  public static final String MODEL_API_KEY_FILE_CONFIG = "runnel.model.api.key.file";
  private static final String MODEL_API_KEY_FILE_DOC =
      "Path of a file holding the API key (surrounding whitespace dropped), e.g. a mounted"
          + " secret. When set it wins over the environment variable.";

  public static final String MODEL_CONNECT_TIMEOUT_MS_CONFIG = "runnel.model.connect.timeout.ms";
  private static final String MODEL_CONNECT_TIMEOUT_MS_DOC =
      "Longest wait to open a connection to the model endpoint.";

  public static final String MODEL_FIRST_TOKEN_TIMEOUT_MS_CONFIG =
      "runnel.model.first.token.timeout.ms";
  private static final String MODEL_FIRST_TOKEN_TIMEOUT_MS_DOC =
      "Longest wait from the start of a call to its first token.";

  public static final String MODEL_IDLE_TIMEOUT_MS_CONFIG = "runnel.model.idle.timeout.ms";
  private static final String MODEL_IDLE_TIMEOUT_MS_DOC =
      "Longest wait between one token and the next (a stalled stream).";

  public static final String MODEL_TOTAL_TIMEOUT_MS_CONFIG = "runnel.model.total.timeout.ms";
  private static final String MODEL_TOTAL_TIMEOUT_MS_DOC = "Longest time one call may take in all.";

  public static final String MODEL_MAX_TOKENS_CONFIG = "runnel.model.max.tokens";
  private static final String MODEL_MAX_TOKENS_DOC =
      "Upper bound on a reply's tokens; 0 leaves it to the model (Anthropic requires one: 1024"
          + " is sent then).";

  public static final String MODEL_SYSTEM_PROMPT_CONFIG = "runnel.model.system.prompt";
  private static final String MODEL_SYSTEM_PROMPT_DOC =
      "System prompt sent before the conversation on every chat call; empty for none.";

  public static final String REPLY_MAX_CHARS_CONFIG = "runnel.reply.max.chars";
  private static final String REPLY_MAX_CHARS_DOC =
      "Longest reply a model call may accumulate, in UTF-16 code units. A longer reply is cut"
          + " there: its first characters are kept and streamed, and the call ends as a model's"
          + " own token limit would, with finish reason LENGTH (without token usage, which the"
          + " server never got to send).";

  /** The environment variable read for the API key unless configured otherwise. */
  public static final String DEFAULT_API_KEY_ENV = "RUNNEL_MODEL_API_KEY";

  // ---- Application: topic provisioning, operations, lifecycle (dev.runnel.app) ----

  public static final String ACTIONS_CONFIG = "runnel.actions";
  private static final String ACTIONS_DOC =
      "The actions this instance hosts, when the code that starts it names none: each entry is"
          + " the name of a dev.runnel.app.ActionProvider found through java.util.ServiceLoader on"
          + " the class path, or the class name of one (public, with a no-argument constructor)."
          + " A prompt's action field picks one by its spec's name; a prompt without one runs the"
          + " first. The built-in provider is chat.";

  public static final String TOPIC_CREATE_CONFIG = "runnel.topic.create";
  private static final String TOPIC_CREATE_DOC =
      "Create missing topics at startup. Existing topics are checked either way: the sessions"
          + " topic must be compacted and the input topics must have the same partition count.";

  public static final String TOPIC_PARTITIONS_CONFIG = "runnel.topic.partitions";
  private static final String TOPIC_PARTITIONS_DOC =
      "Partitions of the topics Runnel creates. It caps how many stream threads (across all"
          + " instances) share the work.";

  public static final String TOPIC_REPLICATION_FACTOR_CONFIG = "runnel.topic.replication.factor";
  private static final String TOPIC_REPLICATION_FACTOR_DOC =
      "Replication factor of the topics Runnel creates and of Kafka Streams' internal topics;"
          + " -1 uses the broker's default.replication.factor.";

  public static final String DEAD_LETTERS_RETENTION_MS_CONFIG =
      "runnel.topic.dead.letters.retention.ms";
  private static final String DEAD_LETTERS_RETENTION_MS_DOC =
      "retention.ms of the dead-letter topic when Runnel creates it; -1 keeps records forever.";

  public static final String METRICS_PORT_CONFIG = "runnel.metrics.port";
  private static final String METRICS_PORT_DOC =
      "Port of the HTTP endpoint serving /metrics (Prometheus text format) and /health; 0 turns"
          + " it off.";

  public static final String METRICS_BIND_ADDRESS_CONFIG = "runnel.metrics.bind.address";
  private static final String METRICS_BIND_ADDRESS_DOC =
      "Address the metrics endpoint listens on; 0.0.0.0 for all interfaces.";

  public static final String SHUTDOWN_TIMEOUT_MS_CONFIG = "runnel.shutdown.timeout.ms";
  private static final String SHUTDOWN_TIMEOUT_MS_DOC =
      "How long a clean shutdown waits for Kafka Streams to commit and close.";

  private static final ConfigDef.Validator REPLICATION_FACTOR_VALIDATOR =
      new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
          if (value != null && (Short) value != -1 && (Short) value < 1) {
            throw new ConfigException(name, value, "must be -1 (broker default) or at least 1");
          }
        }

        @Override
        public String toString() {
          return "-1 or [1,...]";
        }
      };

  // ---- Gateway (dev.runnel.gateway) and the state-query endpoint (dev.runnel.query) ----

  public static final String GATEWAY_BIND_ADDRESS_CONFIG = "runnel.gateway.bind.address";
  private static final String GATEWAY_BIND_ADDRESS_DOC =
      "Address the gateway's HTTP server listens on; 0.0.0.0 for all interfaces.";

  public static final String GATEWAY_PORT_CONFIG = "runnel.gateway.port";
  private static final String GATEWAY_PORT_DOC =
      "Port of the gateway's HTTP server; 0 picks a free one.";

  public static final String GATEWAY_MAX_BODY_BYTES_CONFIG = "runnel.gateway.max.body.bytes";
  private static final String GATEWAY_MAX_BODY_BYTES_DOC =
      "Largest request body the gateway accepts; a larger one is answered 413.";

  public static final String GATEWAY_CHUNKS_ISOLATION_CONFIG =
      "runnel.gateway.chunks.isolation.level";
  private static final String GATEWAY_CHUNKS_ISOLATION_DOC =
      "isolation.level of the chunk consumer behind the events streams. read_committed (the"
          + " default) never shows a record of an aborted transaction; immediate-lane deltas are"
          + " not transactional, so they show at once unless a transaction is open on their"
          + " partition (then at its commit, within the topology's commit interval)."
          + " read_uncommitted shows every record the moment it is written, including end records"
          + " and transactional-lane deltas that are later aborted. Chat completions always read"
          + " committed records (with read_uncommitted here, the gateway runs a second consumer"
          + " for them), so a client is never told a final the session state will not hold.";

  public static final String GATEWAY_MAX_CONNECTIONS_CONFIG = "runnel.gateway.max.connections";
  private static final String GATEWAY_MAX_CONNECTIONS_DOC =
      "Most connections the gateway keeps open; one more is answered 503 with Retry-After and"
          + " closed.";

  public static final String GATEWAY_IDLE_TIMEOUT_MS_CONFIG = "runnel.gateway.idle.timeout.ms";
  private static final String GATEWAY_IDLE_TIMEOUT_MS_DOC =
      "A connection on which nothing was read or written for this long, and no request is being"
          + " answered, is closed (idle keep-alive connections, requests whose bytes stopped"
          + " coming). Event streams are not idle: they send a keep-alive comment every 15 s.";

  public static final String GATEWAY_REQUEST_TIMEOUT_MS_CONFIG =
      "runnel.gateway.request.timeout.ms";
  private static final String GATEWAY_REQUEST_TIMEOUT_MS_DOC =
      "How long a request may take to arrive whole, from its first line; a slower one is answered"
          + " 408 and its connection closed.";

  public static final String GATEWAY_CATCHUP_THREADS_CONFIG = "runnel.gateway.catchup.threads";
  private static final String GATEWAY_CATCHUP_THREADS_DOC =
      "Threads that serve resumes older than the in-memory buffer by reading the chunks topic.";

  public static final String GATEWAY_CATCHUP_QUEUE_CONFIG = "runnel.gateway.catchup.queue";
  private static final String GATEWAY_CATCHUP_QUEUE_DOC =
      "Resumes from the topic that may wait for a thread; one more is answered 503 with"
          + " Retry-After.";

  public static final String GATEWAY_REPLAY_SESSION_MAX_BYTES_CONFIG =
      "runnel.gateway.replay.session.max.bytes";
  private static final String GATEWAY_REPLAY_SESSION_MAX_BYTES_DOC =
      "Estimated bytes of recent chunks one session keeps in the gateway's memory for resumes;"
          + " the oldest go first.";

  public static final String GATEWAY_REPLAY_MAX_BYTES_CONFIG = "runnel.gateway.replay.max.bytes";
  private static final String GATEWAY_REPLAY_MAX_BYTES_DOC =
      "Estimated bytes of recent chunks all sessions together keep in the gateway's memory;"
          + " beyond it the least recently written sessions without a watcher are dropped, then"
          + " the oldest chunks of watched ones.";

  public static final String GATEWAY_REPLAY_CHUNKS_CONFIG = "runnel.gateway.replay.chunks";
  private static final String GATEWAY_REPLAY_CHUNKS_DOC =
      "Recent chunks each session keeps in the gateway's memory, for resuming a stream by"
          + " Last-Event-ID without reading Kafka again.";

  public static final String GATEWAY_REPLAY_SESSIONS_CONFIG = "runnel.gateway.replay.sessions";
  private static final String GATEWAY_REPLAY_SESSIONS_DOC =
      "Most sessions whose recent chunks the gateway keeps; the least recently written without"
          + " a watcher are dropped first.";

  public static final String GATEWAY_WATCHER_MAX_PENDING_BYTES_CONFIG =
      "runnel.gateway.watcher.max.pending.bytes";
  private static final String GATEWAY_WATCHER_MAX_PENDING_BYTES_DOC =
      "Bytes of events one stream may have waiting to be sent; a slower client has its stream"
          + " closed (it resumes with Last-Event-ID), so it never holds up the others.";

  public static final String GATEWAY_CATCHUP_TIMEOUT_MS_CONFIG =
      "runnel.gateway.catchup.timeout.ms";
  private static final String GATEWAY_CATCHUP_TIMEOUT_MS_DOC =
      "How long a resume older than the in-memory buffer may read the chunks topic before the"
          + " stream is closed with an error.";

  public static final String GATEWAY_QUERY_URLS_CONFIG = "runnel.gateway.query.urls";
  private static final String GATEWAY_QUERY_URLS_DOC =
      "Base URLs of topology instances' state-query endpoints (e.g. http://host:7070); the"
          + " gateway asks them in turn until one answers.";

  public static final String GATEWAY_QUERY_TIMEOUT_MS_CONFIG = "runnel.gateway.query.timeout.ms";
  private static final String GATEWAY_QUERY_TIMEOUT_MS_DOC =
      "Timeout of one state query to one topology instance.";

  public static final String GATEWAY_PROMPT_MAX_CHARS_CONFIG = "runnel.gateway.prompt.max.chars";
  private static final String GATEWAY_PROMPT_MAX_CHARS_DOC =
      "Longest prompt the gateway accepts, in UTF-16 code units; a longer one is answered 400.";

  public static final String GATEWAY_COMPLETION_TIMEOUT_MS_CONFIG =
      "runnel.gateway.completion.timeout.ms";
  private static final String GATEWAY_COMPLETION_TIMEOUT_MS_DOC =
      "How long a non-streaming chat completion waits for its end record before answering 504.";

  public static final String GATEWAY_AUTH_MODE_CONFIG = "runnel.gateway.auth.mode";
  public static final String AUTH_KEYS = "keys";
  public static final String AUTH_OPEN = "open";
  private static final String GATEWAY_AUTH_MODE_DOC =
      "keys: every request but /health and /ready needs an API key (Authorization: Bearer or"
          + " x-api-key) of a tenant, and sessions are namespaced per tenant. open: no keys, one"
          + " tenant; only for the embedded default on a developer's machine (the gateway warns at"
          + " startup).";

  public static final String GATEWAY_KEYS_FILE_CONFIG = "runnel.gateway.keys.file";
  private static final String GATEWAY_KEYS_FILE_DOC =
      "File of API keys, one '<tenant> <sha256 of the key, hex>' a line ('#' starts a comment);"
          + " re-read when it changes, so keys rotate without a restart.";

  public static final String GATEWAY_KEYS_CONFIG = "runnel.gateway.keys";
  private static final String GATEWAY_KEYS_DOC =
      "API keys given in the configuration or the environment (RUNNEL_GATEWAY_KEYS), as"
          + " '<tenant>:<sha256 of the key, hex>' items; used with the keys file if both are set.";

  public static final String GATEWAY_CORS_ALLOWED_ORIGINS_CONFIG =
      "runnel.gateway.cors.allowed.origins";
  private static final String GATEWAY_CORS_ALLOWED_ORIGINS_DOC =
      "Origins (scheme://host[:port]) whose pages may call the gateway; they get CORS headers."
          + " Empty: same origin only. A request with any other Origin is answered 403.";

  public static final String GATEWAY_QUOTA_REQUESTS_PER_MINUTE_CONFIG =
      "runnel.gateway.quota.requests.per.minute";
  private static final String GATEWAY_QUOTA_REQUESTS_PER_MINUTE_DOC =
      "Prompts a tenant may send per minute, counted over every gateway instance from the prompts"
          + " topic; more are answered 429. 0: no limit.";

  public static final String GATEWAY_QUOTA_TOKENS_PER_DAY_CONFIG =
      "runnel.gateway.quota.tokens.per.day";
  private static final String GATEWAY_QUOTA_TOKENS_PER_DAY_DOC =
      "Tokens a tenant may use per UTC day, counted over every gateway instance from the end"
          + " records of the chunks topic (cancelled runs included); once reached, prompts are"
          + " answered 429. 0: no limit.";

  public static final String GATEWAY_DISCONNECT_CONFIG = "runnel.gateway.disconnect";
  public static final String DISCONNECT_CONTINUE = "continue";
  public static final String DISCONNECT_CANCEL = "cancel";
  private static final String GATEWAY_DISCONNECT_DOC =
      "What happens to a chat completion's generation when its client goes away: continue (the"
          + " reply is still written to the session) or cancel (the gateway sends a cancellation)."
          + " Either way its tokens count against the tenant's quota.";

  public static final String QUERY_PORT_CONFIG = "runnel.query.port";
  private static final String QUERY_PORT_DOC =
      "Port of a topology instance's state-query endpoint (GET /sessions/{id}); 0 picks a free"
          + " one, -1 turns it off. The instance advertises it to the others as"
          + " application.server; give it a fixed port where a gateway must name it.";

  public static final String QUERY_BIND_ADDRESS_CONFIG = "runnel.query.bind.address";
  private static final String QUERY_BIND_ADDRESS_DOC =
      "Address the state-query endpoint listens on.";

  public static final String QUERY_ADVERTISED_HOST_CONFIG = "runnel.query.advertised.host";
  private static final String QUERY_ADVERTISED_HOST_DOC =
      "Host name other instances use to reach this one's state-query endpoint"
          + " (application.server's host).";

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
              TOOL_CALLS_TOPIC_CONFIG,
              Type.STRING,
              "runnel.tool-calls",
              Importance.MEDIUM,
              TOOL_CALLS_TOPIC_DOC)
          .define(
              TOOL_RESULTS_TOPIC_CONFIG,
              Type.STRING,
              "runnel.tool-results",
              Importance.MEDIUM,
              TOOL_RESULTS_TOPIC_DOC)
          .define(
              DELTA_LANE_CONFIG,
              Type.STRING,
              LANE_IMMEDIATE,
              ValidString.in(LANE_IMMEDIATE, LANE_TRANSACTIONAL),
              Importance.HIGH,
              DELTA_LANE_DOC)
          .define(
              DELTA_LANE_BUFFER_BYTES_CONFIG,
              Type.LONG,
              DELTA_LANE_BUFFER_BYTES_DEFAULT,
              Range.atLeast(1024),
              Importance.LOW,
              DELTA_LANE_BUFFER_BYTES_DOC)
          .define(
              DELTA_COALESCE_MAX_CHARS_CONFIG,
              Type.INT,
              DELTA_COALESCE_MAX_CHARS_DEFAULT,
              Range.between(0, DELTA_COALESCE_MAX_CHARS_MAX),
              Importance.LOW,
              DELTA_COALESCE_MAX_CHARS_DOC)
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
              SESSION_MAX_BYTES_CONFIG,
              Type.INT,
              768 * 1024,
              Range.atLeast(16 * 1024),
              Importance.MEDIUM,
              SESSION_MAX_BYTES_DOC)
          .define(
              MODEL_PROVIDER_CONFIG,
              Type.STRING,
              PROVIDER_SIMULATED,
              ValidString.in(PROVIDER_OPENAI, PROVIDER_ANTHROPIC, PROVIDER_SIMULATED),
              Importance.HIGH,
              MODEL_PROVIDER_DOC)
          .define(MODEL_BASE_URL_CONFIG, Type.STRING, "", Importance.HIGH, MODEL_BASE_URL_DOC)
          .define(
              MODEL_API_KEY_ENV_CONFIG,
              Type.STRING,
              DEFAULT_API_KEY_ENV,
              Importance.HIGH,
              MODEL_API_KEY_ENV_DOC)
          .define(
              MODEL_API_KEY_FILE_CONFIG, Type.STRING, "", Importance.HIGH, MODEL_API_KEY_FILE_DOC)
          .define(
              MODEL_CONNECT_TIMEOUT_MS_CONFIG,
              Type.LONG,
              10_000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              MODEL_CONNECT_TIMEOUT_MS_DOC)
          .define(
              MODEL_FIRST_TOKEN_TIMEOUT_MS_CONFIG,
              Type.LONG,
              60_000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              MODEL_FIRST_TOKEN_TIMEOUT_MS_DOC)
          .define(
              MODEL_IDLE_TIMEOUT_MS_CONFIG,
              Type.LONG,
              30_000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              MODEL_IDLE_TIMEOUT_MS_DOC)
          .define(
              MODEL_TOTAL_TIMEOUT_MS_CONFIG,
              Type.LONG,
              600_000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              MODEL_TOTAL_TIMEOUT_MS_DOC)
          .define(
              MODEL_MAX_TOKENS_CONFIG,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.MEDIUM,
              MODEL_MAX_TOKENS_DOC)
          .define(
              REPLY_MAX_CHARS_CONFIG,
              Type.INT,
              SseHttpClient.DEFAULT_MAX_REPLY_CHARS,
              Range.atLeast(1),
              Importance.MEDIUM,
              REPLY_MAX_CHARS_DOC)
          .define(
              MODEL_SYSTEM_PROMPT_CONFIG,
              Type.STRING,
              "",
              Importance.MEDIUM,
              MODEL_SYSTEM_PROMPT_DOC)
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
              SCHEMA_REGISTRY_TIMEOUT_MS_DOC)
          .define(
              ACTIONS_CONFIG,
              Type.LIST,
              "chat",
              ConfigDef.LambdaValidator.with(
                  (name, value) -> {
                    if (value instanceof List<?> list && list.isEmpty()) {
                      throw new ConfigException(name, value, "name at least one action provider");
                    }
                  },
                  () -> "a non-empty list"),
              Importance.HIGH,
              ACTIONS_DOC)
          .define(TOPIC_CREATE_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, TOPIC_CREATE_DOC)
          .define(
              TOPIC_PARTITIONS_CONFIG,
              Type.INT,
              6,
              Range.atLeast(1),
              Importance.MEDIUM,
              TOPIC_PARTITIONS_DOC)
          .define(
              TOPIC_REPLICATION_FACTOR_CONFIG,
              Type.SHORT,
              (short) -1,
              REPLICATION_FACTOR_VALIDATOR,
              Importance.MEDIUM,
              TOPIC_REPLICATION_FACTOR_DOC)
          .define(
              DEAD_LETTERS_RETENTION_MS_CONFIG,
              Type.LONG,
              Duration.ofDays(30).toMillis(),
              Range.atLeast(-1),
              Importance.LOW,
              DEAD_LETTERS_RETENTION_MS_DOC)
          .define(
              METRICS_PORT_CONFIG,
              Type.INT,
              9464,
              Range.between(0, 65535),
              Importance.LOW,
              METRICS_PORT_DOC)
          .define(
              METRICS_BIND_ADDRESS_CONFIG,
              Type.STRING,
              "0.0.0.0",
              Importance.LOW,
              METRICS_BIND_ADDRESS_DOC)
          .define(
              SHUTDOWN_TIMEOUT_MS_CONFIG,
              Type.LONG,
              30_000L,
              Range.atLeast(0),
              Importance.LOW,
              SHUTDOWN_TIMEOUT_MS_DOC)
          .define(
              GATEWAY_BIND_ADDRESS_CONFIG,
              Type.STRING,
              "127.0.0.1",
              Importance.MEDIUM,
              GATEWAY_BIND_ADDRESS_DOC)
          .define(
              GATEWAY_PORT_CONFIG,
              Type.INT,
              8080,
              Range.between(0, 65535),
              Importance.MEDIUM,
              GATEWAY_PORT_DOC)
          .define(
              GATEWAY_MAX_BODY_BYTES_CONFIG,
              Type.INT,
              65_536,
              Range.atLeast(1024),
              Importance.LOW,
              GATEWAY_MAX_BODY_BYTES_DOC)
          .define(
              GATEWAY_CHUNKS_ISOLATION_CONFIG,
              Type.STRING,
              "read_committed",
              ValidString.in("read_uncommitted", "read_committed"),
              Importance.MEDIUM,
              GATEWAY_CHUNKS_ISOLATION_DOC)
          .define(
              GATEWAY_MAX_CONNECTIONS_CONFIG,
              Type.INT,
              10_000,
              Range.atLeast(1),
              Importance.MEDIUM,
              GATEWAY_MAX_CONNECTIONS_DOC)
          .define(
              GATEWAY_IDLE_TIMEOUT_MS_CONFIG,
              Type.LONG,
              60_000L,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_IDLE_TIMEOUT_MS_DOC)
          .define(
              GATEWAY_REQUEST_TIMEOUT_MS_CONFIG,
              Type.LONG,
              30_000L,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_REQUEST_TIMEOUT_MS_DOC)
          .define(
              GATEWAY_CATCHUP_THREADS_CONFIG,
              Type.INT,
              2,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_CATCHUP_THREADS_DOC)
          .define(
              GATEWAY_CATCHUP_QUEUE_CONFIG,
              Type.INT,
              16,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_CATCHUP_QUEUE_DOC)
          .define(
              GATEWAY_REPLAY_SESSION_MAX_BYTES_CONFIG,
              Type.LONG,
              256L * 1024,
              Range.atLeast(1024),
              Importance.LOW,
              GATEWAY_REPLAY_SESSION_MAX_BYTES_DOC)
          .define(
              GATEWAY_REPLAY_MAX_BYTES_CONFIG,
              Type.LONG,
              64L * 1024 * 1024,
              Range.atLeast(1024),
              Importance.LOW,
              GATEWAY_REPLAY_MAX_BYTES_DOC)
          .define(
              GATEWAY_REPLAY_CHUNKS_CONFIG,
              Type.INT,
              2048,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_REPLAY_CHUNKS_DOC)
          .define(
              GATEWAY_REPLAY_SESSIONS_CONFIG,
              Type.INT,
              10_000,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_REPLAY_SESSIONS_DOC)
          .define(
              GATEWAY_WATCHER_MAX_PENDING_BYTES_CONFIG,
              Type.INT,
              1 << 20,
              Range.atLeast(1024),
              Importance.LOW,
              GATEWAY_WATCHER_MAX_PENDING_BYTES_DOC)
          .define(
              GATEWAY_CATCHUP_TIMEOUT_MS_CONFIG,
              Type.LONG,
              10_000L,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_CATCHUP_TIMEOUT_MS_DOC)
          .define(GATEWAY_QUERY_URLS_CONFIG, Type.LIST, "", Importance.HIGH, GATEWAY_QUERY_URLS_DOC)
          .define(
              GATEWAY_QUERY_TIMEOUT_MS_CONFIG,
              Type.LONG,
              5_000L,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_QUERY_TIMEOUT_MS_DOC)
          .define(
              GATEWAY_PROMPT_MAX_CHARS_CONFIG,
              Type.INT,
              32_768,
              Range.atLeast(1),
              Importance.MEDIUM,
              GATEWAY_PROMPT_MAX_CHARS_DOC)
          .define(
              GATEWAY_COMPLETION_TIMEOUT_MS_CONFIG,
              Type.LONG,
              300_000L,
              Range.atLeast(1),
              Importance.LOW,
              GATEWAY_COMPLETION_TIMEOUT_MS_DOC)
          .define(
              GATEWAY_AUTH_MODE_CONFIG,
              Type.STRING,
              AUTH_KEYS,
              ValidString.in(AUTH_KEYS, AUTH_OPEN),
              Importance.HIGH,
              GATEWAY_AUTH_MODE_DOC)
          .define(GATEWAY_KEYS_FILE_CONFIG, Type.STRING, "", Importance.HIGH, GATEWAY_KEYS_FILE_DOC)
          .define(GATEWAY_KEYS_CONFIG, Type.PASSWORD, "", Importance.HIGH, GATEWAY_KEYS_DOC)
          .define(
              GATEWAY_CORS_ALLOWED_ORIGINS_CONFIG,
              Type.LIST,
              "",
              Importance.MEDIUM,
              GATEWAY_CORS_ALLOWED_ORIGINS_DOC)
          .define(
              GATEWAY_QUOTA_REQUESTS_PER_MINUTE_CONFIG,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.MEDIUM,
              GATEWAY_QUOTA_REQUESTS_PER_MINUTE_DOC)
          .define(
              GATEWAY_QUOTA_TOKENS_PER_DAY_CONFIG,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.MEDIUM,
              GATEWAY_QUOTA_TOKENS_PER_DAY_DOC)
          .define(
              GATEWAY_DISCONNECT_CONFIG,
              Type.STRING,
              DISCONNECT_CONTINUE,
              ValidString.in(DISCONNECT_CONTINUE, DISCONNECT_CANCEL),
              Importance.MEDIUM,
              GATEWAY_DISCONNECT_DOC)
          .define(
              QUERY_PORT_CONFIG,
              Type.INT,
              0,
              Range.between(-1, 65535),
              Importance.MEDIUM,
              QUERY_PORT_DOC)
          .define(
              QUERY_BIND_ADDRESS_CONFIG,
              Type.STRING,
              "127.0.0.1",
              Importance.LOW,
              QUERY_BIND_ADDRESS_DOC)
          .define(
              QUERY_ADVERTISED_HOST_CONFIG,
              Type.STRING,
              "127.0.0.1",
              Importance.MEDIUM,
              QUERY_ADVERTISED_HOST_DOC);

  public RunnelConfig(Map<?, ?> originals) {
    super(CONFIG, originals, false);
  }

  public boolean immediateLane() {
    return LANE_IMMEDIATE.equals(getString(DELTA_LANE_CONFIG));
  }

  public long deltaLaneBufferBytes() {
    return getLong(DELTA_LANE_BUFFER_BYTES_CONFIG);
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

  public String modelProvider() {
    return getString(MODEL_PROVIDER_CONFIG);
  }

  /** The configured base URL, or empty for the provider's default (or the embedded simulator). */
  public String modelBaseUrl() {
    return getString(MODEL_BASE_URL_CONFIG).trim();
  }

  public ModelTimeouts modelTimeouts() {
    return new ModelTimeouts(
        Duration.ofMillis(getLong(MODEL_CONNECT_TIMEOUT_MS_CONFIG)),
        Duration.ofMillis(getLong(MODEL_FIRST_TOKEN_TIMEOUT_MS_CONFIG)),
        Duration.ofMillis(getLong(MODEL_IDLE_TIMEOUT_MS_CONFIG)),
        Duration.ofMillis(getLong(MODEL_TOTAL_TIMEOUT_MS_CONFIG)));
  }

  public int replyMaxChars() {
    return getInt(REPLY_MAX_CHARS_CONFIG);
  }

  public int modelMaxTokens() {
    return getInt(MODEL_MAX_TOKENS_CONFIG);
  }

  public String modelSystemPrompt() {
    return getString(MODEL_SYSTEM_PROMPT_CONFIG);
  }

  /**
   * The API key: the file named by {@link #MODEL_API_KEY_FILE_CONFIG} if set, else the environment
   * variable named by {@link #MODEL_API_KEY_ENV_CONFIG}; empty when neither holds one. Returned as
   * a {@link Password}, whose {@code toString} hides it.
   *
   * @throws ConfigException naming the file (never its content) when it cannot be read
   */
  public Optional<Password> modelApiKey() {
    return modelApiKey(System::getenv);
  }

  /** As {@link #modelApiKey()}, reading variables from {@code environment} (for tests). */
  public Optional<Password> modelApiKey(Function<String, String> environment) {
    String file = getString(MODEL_API_KEY_FILE_CONFIG).trim();
    String key;
    if (!file.isEmpty()) {
      try {
        key = Files.readString(Path.of(file)).strip();
      } catch (IOException | RuntimeException e) {
        throw new ConfigException(
            MODEL_API_KEY_FILE_CONFIG,
            file,
            "cannot read the API key file: " + e.getClass().getSimpleName());
      }
      if (key.isEmpty()) {
        throw new ConfigException(MODEL_API_KEY_FILE_CONFIG, file, "the API key file is empty");
      }
    } else {
      String env = getString(MODEL_API_KEY_ENV_CONFIG).trim();
      key = env.isEmpty() ? null : environment.apply(env);
    }
    return key == null || key.isBlank() ? Optional.empty() : Optional.of(new Password(key.strip()));
  }

  /**
   * Every setting not starting with {@code runnel.}: passed unchanged to all Kafka clients Runnel
   * creates (Streams, the immediate-lane producer, admin), so {@code bootstrap.servers}, {@code
   * security.protocol}, {@code sasl.*} and {@code ssl.*} work as in any Kafka client.
   */
  public Map<String, Object> kafkaClientProperties() {
    Map<String, Object> props = new HashMap<>();
    originals()
        .forEach(
            (key, value) -> {
              if (!key.startsWith(RUNNEL_PREFIX)) {
                props.put(key, value);
              }
            });
    return props;
  }
}
