package dev.runnel.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.MessageToolCall;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.FakeSchemaRegistry;
import dev.runnel.serde.RegistryAvroSerde;
import dev.runnel.serde.SchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class SessionStateConverterTest {
  private static final AvroSerde<SessionState> SERDE = AvroSerde.of(SessionState.class);

  private final SessionState state =
      SessionState.newBuilder()
          .setSessionId("s-1")
          .setVersion(4)
          .setMessages(
              List.of(
                  new Message(Role.USER, "hi \"there\"", "r-1", List.of(), null),
                  new Message(
                      Role.ASSISTANT,
                      "",
                      "r-1",
                      List.of(new MessageToolCall("call_1", "clock", "{}")),
                      null),
                  new Message(Role.TOOL, "12:00", "r-1", List.of(), "call_1"),
                  new Message(Role.ASSISTANT, "hello", null, List.of(), null)))
          .setLastRequestId("r-1")
          .setLastStatus(RequestStatus.FAILED)
          .setLastError(new ErrorInfo("RATE_LIMITED", "slow down", true))
          .setUsage(new TokenUsage(3L, 5L, 8L))
          .setFields(Map.of("b", "2", "a", "1"))
          .setJsonFields(Map.of("count", "3", "tags", "[\"x\",\"y\"]"))
          .setLastResult("{\"score\":0.5}")
          .setUpdatedAt(Instant.ofEpochMilli(1_700_000_000_123L))
          .build();

  private SessionStateConverter converter(Map<String, ?> config) {
    SessionStateConverter converter = new SessionStateConverter();
    converter.configure(config, false);
    return converter;
  }

  @Test
  void sessionStateBecomesAFlatRowWithJsonForNestedParts() {
    SchemaAndValue converted = converter(Map.of()).toConnectData("sessions", SERDE.encode(state));

    Struct row = (Struct) converted.value();
    assertThat(row.schema()).isEqualTo(converted.schema());
    assertThat(row.getString("session_id")).isEqualTo("s-1");
    assertThat(row.getInt64("version")).isEqualTo(4L);
    assertThat(row.getString("last_request_id")).isEqualTo("r-1");
    assertThat(row.getString("last_status")).isEqualTo("failed");
    assertThat(row.getString("last_error"))
        .isEqualTo("{\"kind\":\"RATE_LIMITED\",\"message\":\"slow down\",\"retriable\":true}");
    assertThat(row.getString("messages"))
        .isEqualTo(
            "[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\",\"request_id\":\"r-1\"},"
                + "{\"role\":\"assistant\",\"content\":\"\",\"request_id\":\"r-1\","
                + "\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"clock\",\"arguments\":\"{}\"}]},"
                + "{\"role\":\"tool\",\"content\":\"12:00\",\"request_id\":\"r-1\","
                + "\"tool_call_id\":\"call_1\"},"
                + "{\"role\":\"assistant\",\"content\":\"hello\"}]");
    assertThat(row.getInt64("prompt_tokens")).isEqualTo(3L);
    assertThat(row.getInt64("completion_tokens")).isEqualTo(5L);
    assertThat(row.getInt64("total_tokens")).isEqualTo(8L);
    assertThat(row.getString("fields"))
        .isEqualTo("{\"a\":\"1\",\"b\":\"2\",\"count\":3,\"tags\":[\"x\",\"y\"]}");
    assertThat(row.getString("last_result")).isEqualTo("{\"score\":0.5}");
    assertThat(row.get("updated_at")).isEqualTo(new Date(1_700_000_000_123L));
  }

  @Test
  void tombstoneBecomesNullSoTheSinkDeletes() {
    SchemaAndValue converted = converter(Map.of()).toConnectData("sessions", null);

    assertThat(converted.value()).isNull();
    assertThat(converter(Map.of()).fromConnectData("sessions", converted.schema(), null)).isNull();
  }

  @Test
  void rowConvertsBackToTheSameRecordBytes() {
    SessionStateConverter converter = converter(Map.of());
    SchemaAndValue row = converter.toConnectData("sessions", SERDE.encode(state));

    byte[] back = converter.fromConnectData("sessions", row.schema(), row.value());

    assertThat(SERDE.decode(back)).isEqualTo(state);
  }

  @Test
  void bytesThatAreNotASessionStateFailNamingTheTopic() {
    byte[] garbage = "plain text".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> converter(Map.of()).toConnectData("sessions", garbage))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("topic 'sessions'")
        .hasMessageContaining("Not a SessionState");
  }

  @Test
  void registryModeReadsAndWritesTheRegistryWireFormat() throws Exception {
    try (FakeSchemaRegistry registry = new FakeSchemaRegistry()) {
      registry.requireAuthorization(
          "Basic "
              + Base64.getEncoder().encodeToString("connect:pw".getBytes(StandardCharsets.UTF_8)));
      RegistryAvroSerde<SessionState> runnelSide =
          RegistryAvroSerde.of(
              SessionState.class,
              SchemaRegistry.connect(registry.url(), "connect:pw", Duration.ofSeconds(5)));
      byte[] written = runnelSide.encode("sessions", state);
      SessionStateConverter converter =
          converter(
              Map.of(
                  SessionStateConverter.SCHEMA_REGISTRY_URL_CONFIG,
                  registry.url(),
                  SessionStateConverter.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_CONFIG,
                  "connect:pw"));

      SchemaAndValue row = converter.toConnectData("sessions", written);
      byte[] back = converter.fromConnectData("sessions", row.schema(), row.value());

      assertThat(((Struct) row.value()).getInt64("version")).isEqualTo(4L);
      assertThat(Arrays.copyOf(back, 5))
          .as("magic byte and the schema id Runnel registered")
          .isEqualTo(Arrays.copyOf(written, 5));
      assertThat(runnelSide.decode("sessions", back)).isEqualTo(state);
    }
  }

  @Test
  void registryModeRejectsRegistryLessBytes() {
    SessionStateConverter converter =
        converter(Map.of(SessionStateConverter.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:1"));

    assertThatThrownBy(() -> converter.toConnectData("sessions", SERDE.encode(state)))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("schema-registry wire format");
  }

  @Test
  void usingItForKeysIsAConfigurationError() {
    assertThatThrownBy(() -> new SessionStateConverter().configure(Map.of(), true))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("StringConverter");
  }
}
