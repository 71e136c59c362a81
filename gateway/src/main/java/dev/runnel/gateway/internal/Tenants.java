package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Cancellation;
import dev.runnel.topics.Topic;
import dev.runnel.topics.Topics;
import io.netty.handler.codec.http.FullHttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the gateway knows of tenants, behind the few calls its router makes: who is calling
 * ({@link #caller}), which Kafka key a session of theirs has ({@link #key}), whether they may send
 * one more prompt ({@link #admit}), their usage ({@link #usage}), and what a client going away
 * means for its generation ({@link #clientGone}).
 */
public final class Tenants implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tenants.class);

  private final FrontDoor door;
  private final Tenancy tenancy;
  private final Optional<ApiKeys> keys;
  private final UsageLedger ledger;
  private final boolean cancelOnDisconnect;
  private final KafkaProducer<String, Cancellation> cancellations;
  private final String cancellationsTopic;
  private final java.util.concurrent.ExecutorService sender =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "runnel-gateway-cancel");
            t.setDaemon(true);
            return t;
          });

  private Tenants(
      FrontDoor door,
      Tenancy tenancy,
      Optional<ApiKeys> keys,
      UsageLedger ledger,
      boolean cancelOnDisconnect,
      KafkaProducer<String, Cancellation> cancellations,
      String cancellationsTopic) {
    this.door = door;
    this.tenancy = tenancy;
    this.keys = keys;
    this.ledger = ledger;
    this.cancelOnDisconnect = cancelOnDisconnect;
    this.cancellations = cancellations;
    this.cancellationsTopic = cancellationsTopic;
  }

  /** The tenant settings of {@code config}; in open mode, warns that anyone may call. */
  public static Tenants from(RunnelConfig config, Map<String, Object> clientProps, Topics topics) {
    boolean open =
        config.getString(RunnelConfig.GATEWAY_AUTH_MODE_CONFIG).equals(RunnelConfig.AUTH_OPEN);
    String file = config.getString(RunnelConfig.GATEWAY_KEYS_FILE_CONFIG);
    List<String> items =
        Arrays.stream(config.getPassword(RunnelConfig.GATEWAY_KEYS_CONFIG).value().split(","))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    Optional<ApiKeys> keys;
    if (open) {
      if (!file.isBlank() || !items.isEmpty()) {
        throw new IllegalArgumentException(
            RunnelConfig.GATEWAY_AUTH_MODE_CONFIG
                + "=open takes no keys, yet keys are configured; set it to keys");
      }
      log.warn(
          "OPEN MODE: {}=open, the gateway asks for no API key; anyone who reaches it reads and"
              + " writes every session. Use it only on a developer's machine.",
          RunnelConfig.GATEWAY_AUTH_MODE_CONFIG);
      keys = Optional.empty();
    } else {
      ApiKeys k =
          new ApiKeys(file.isBlank() ? Optional.empty() : Optional.of(Path.of(file)), items);
      if (k.size() == 0 && file.isBlank()) {
        k.close();
        throw new IllegalArgumentException(
            "no API keys: set "
                + RunnelConfig.GATEWAY_KEYS_FILE_CONFIG
                + " or "
                + RunnelConfig.GATEWAY_KEYS_CONFIG
                + ", or "
                + RunnelConfig.GATEWAY_AUTH_MODE_CONFIG
                + "=open for the embedded default");
      }
      keys = Optional.of(k);
    }
    Tenancy tenancy = new Tenancy(open);
    FrontDoor door =
        new FrontDoor(keys, config.getList(RunnelConfig.GATEWAY_CORS_ALLOWED_ORIGINS_CONFIG));
    UsageLedger ledger =
        new UsageLedger(
            clientProps,
            topics.prompts(),
            topics.chunks(),
            tenancy,
            config.getInt(RunnelConfig.GATEWAY_QUOTA_REQUESTS_PER_MINUTE_CONFIG),
            config.getLong(RunnelConfig.GATEWAY_QUOTA_TOKENS_PER_DAY_CONFIG));
    Topic<String, Cancellation> topic = topics.cancellations();
    Map<String, Object> props = new HashMap<>(clientProps);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-gateway-cancellations");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    KafkaProducer<String, Cancellation> producer =
        new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer());
    return new Tenants(
        door,
        tenancy,
        keys,
        ledger,
        config
            .getString(RunnelConfig.GATEWAY_DISCONNECT_CONFIG)
            .equals(RunnelConfig.DISCONNECT_CANCEL),
        producer,
        topic.name());
  }

  /**
   * The caller of {@code request}: checked Origin first (403), then, unless {@code isPublic}, the
   * API key (401).
   */
  FrontDoor.Caller caller(FullHttpRequest request, boolean isPublic) {
    Map<String, String> cors = door.checkOrigin(request);
    // A preflight carries no credentials (browsers never send them on one): its answer is CORS
    // headers only, and the request that follows it is authenticated like any other.
    boolean preflight = !door.preflight(request, cors).isEmpty();
    String tenant = isPublic || preflight ? null : door.tenantOf(request);
    return new FrontDoor.Caller(tenant, cors);
  }

  /** The answer headers to a CORS preflight, if {@code request} is one from an allowed Origin. */
  Optional<Map<String, String>> preflight(FullHttpRequest request, Map<String, String> cors) {
    return door.preflight(request, cors);
  }

  /** The Kafka key of {@code session} of {@code tenant}; see {@link Tenancy#key}. */
  String key(String tenant, String session) {
    return tenancy.key(tenant, session);
  }

  /** Admits one more prompt of {@code tenant} or throws 429 with Retry-After. */
  void admit(String tenant) {
    ledger.admit(tenant);
  }

  /** {@code tenant}'s own usage and quotas. */
  ObjectNode usage(String tenant) {
    return ledger.report(tenant);
  }

  /**
   * The last client of {@code requestId} went away before its end: with {@code
   * runnel.gateway.disconnect=cancel}, cancel it (its tokens are counted from its end record).
   */
  void clientGone(String key, String requestId) {
    if (!cancelOnDisconnect) {
      return;
    }
    Cancellation cancellation =
        Cancellation.newBuilder().setRequestId(requestId).setReason("client disconnected").build();
    // send() may block on metadata: never on an event loop.
    sender.execute(() -> cancel(key, requestId, cancellation));
  }

  private void cancel(String key, String requestId, Cancellation cancellation) {
    try {
      cancellations.send(
          new ProducerRecord<>(cancellationsTopic, key, cancellation),
          (metadata, error) -> {
            if (error != null) {
              log.warn("Could not cancel request {} after its client left", requestId, error);
            }
          });
    } catch (RuntimeException e) {
      log.warn("Could not cancel request {} after its client left", requestId, e);
    }
  }

  @Override
  public void close() {
    ledger.close();
    sender.shutdown();
    cancellations.close(Duration.ofSeconds(5));
    keys.ifPresent(ApiKeys::close);
  }
}
