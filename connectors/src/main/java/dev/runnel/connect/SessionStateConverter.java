package dev.runnel.connect;

import dev.runnel.connect.internal.SessionRows;
import dev.runnel.schemas.SessionState;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.RegistryAvroSerde;
import dev.runnel.serde.SchemaRegistry;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

/**
 * Kafka Connect converter for the values of Runnel's compacted sessions topic. It turns a {@code
 * SessionState} into a flat {@link Struct} that a JDBC sink writes as one row per session: {@code
 * version}, {@code last_request_id}, {@code last_status}, {@code last_error} (JSON), {@code
 * last_result} (JSON), {@code messages} (JSON array), {@code prompt_tokens}, {@code
 * completion_tokens}, {@code total_tokens}, {@code fields} (JSON object: every field of the action
 * with its JSON value) and {@code updated_at}. The session id is the record key (use {@code
 * StringConverter} for keys). A tombstone becomes a null value, which a sink with deletes enabled
 * turns into a delete.
 *
 * <p>Values are read in Runnel's registry-less encoding unless {@value #SCHEMA_REGISTRY_URL_CONFIG}
 * is set, in which case they are read in the schema-registry wire format, as Runnel writes them
 * with the same setting. The reverse direction writes the same encodings, so the converter also
 * serves a source connector or MirrorMaker-style copy.
 */
public final class SessionStateConverter implements Converter {
  /** Same name and meaning as Runnel's own setting, prefixed with {@code value.converter.}. */
  public static final String SCHEMA_REGISTRY_URL_CONFIG = "runnel.schema.registry.url";

  public static final String SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG =
      "runnel.schema.registry.basic.auth.user.info";
  public static final String SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG =
      "runnel.schema.registry.timeout.ms";

  private static final ConfigDef CONFIG =
      new ConfigDef()
          .define(
              SCHEMA_REGISTRY_URL_CONFIG,
              Type.STRING,
              "",
              Importance.HIGH,
              "Schema registry base URL; empty reads Runnel's registry-less encoding.")
          .define(
              SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              "user:password for the registry; supply it through a config provider.")
          .define(
              SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG,
              Type.LONG,
              10_000L,
              Range.atLeast(1),
              Importance.LOW,
              "Connect and request timeout of each registry call.");

  private Codec codec;

  private interface Codec {
    SessionState decode(String topic, byte[] bytes);

    byte[] encode(String topic, SessionState state);
  }

  @Override
  public ConfigDef config() {
    return CONFIG;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (isKey) {
      throw new ConfigException(
          "SessionStateConverter converts session values; use StringConverter for the keys");
    }
    AbstractConfig config = new AbstractConfig(CONFIG, configs, false);
    String url = config.getString(SCHEMA_REGISTRY_URL_CONFIG);
    if (url == null || url.isBlank()) {
      AvroSerde<SessionState> serde = AvroSerde.of(SessionState.class);
      codec =
          new Codec() {
            @Override
            public SessionState decode(String topic, byte[] bytes) {
              return serde.decode(bytes);
            }

            @Override
            public byte[] encode(String topic, SessionState state) {
              return serde.encode(state);
            }
          };
      return;
    }
    Password userInfo = config.getPassword(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG);
    SchemaRegistry registry;
    try {
      registry =
          SchemaRegistry.connect(
              url.strip(),
              userInfo == null ? null : userInfo.value(),
              Duration.ofMillis(config.getLong(SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG)));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, url, e.getMessage());
    }
    RegistryAvroSerde<SessionState> serde = RegistryAvroSerde.of(SessionState.class, registry);
    codec =
        new Codec() {
          @Override
          public SessionState decode(String topic, byte[] bytes) {
            return serde.decode(topic, bytes);
          }

          @Override
          public byte[] encode(String topic, SessionState state) {
            return serde.encode(topic, state);
          }
        };
  }

  @Override
  public byte[] fromConnectData(String topic, Schema schema, Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Struct row)) {
      throw new DataException(
          "SessionStateConverter writes session rows (a Struct), not "
              + value.getClass().getName());
    }
    try {
      return codec().encode(topic, SessionRows.fromRow(row));
    } catch (SerializationException e) {
      throw new DataException(
          "Cannot write a Runnel session state to topic '" + topic + "': " + e.getMessage(), e);
    }
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    if (value == null) {
      return new SchemaAndValue(SessionRows.SCHEMA, null);
    }
    try {
      return new SchemaAndValue(
          SessionRows.SCHEMA, SessionRows.toRow(codec().decode(topic, value)));
    } catch (SerializationException e) {
      throw new DataException(
          "Cannot read a Runnel session state from topic '" + topic + "': " + e.getMessage(), e);
    }
  }

  private Codec codec() {
    if (codec == null) {
      throw new IllegalStateException("SessionStateConverter used before configure()");
    }
    return codec;
  }
}
