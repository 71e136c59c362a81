package dev.runnel.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RegistryAvroSerdeTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private FakeSchemaRegistry server;
  private SchemaRegistry registry;

  @BeforeEach
  void start() throws IOException {
    server = new FakeSchemaRegistry();
    registry = SchemaRegistry.connect(server.url(), null, TIMEOUT);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static Stream<SpecificRecord> everyTopicRecord() {
    return Stream.of(
        Prompt.newBuilder()
            .setRequestId("r-1")
            .setContent("你好, Kafka 👋")
            .setModel("runnel-sim")
            .setAttributes(Map.of("tenant", "acme"))
            .build(),
        Cancellation.newBuilder().setRequestId("r-1").setReason("user left").build(),
        Chunk.newBuilder()
            .setSessionId("s-1")
            .setRequestId("r-1")
            .setAttempt(2)
            .setSequence(7)
            .setEnd(true)
            .setFinishReason(FinishReason.STOP)
            .setUsage(new TokenUsage(3L, 5L, 8L))
            .setTextLength(42)
            .build(),
        SessionState.newBuilder()
            .setSessionId("s-1")
            .setVersion(3)
            .setMessages(
                List.of(
                    new Message(Role.USER, "hi", "r-1", List.of(), null),
                    new Message(Role.ASSISTANT, "hello", "r-1", List.of(), null)))
            .setLastRequestId("r-1")
            .setLastStatus(RequestStatus.FAILED)
            .setLastError(new ErrorInfo("RATE_LIMITED", "slow down", true))
            .setUsage(new TokenUsage(3L, 5L, 8L))
            .setFields(Map.of("mood", "calm"))
            .setUpdatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
            .build(),
        DeadLetter.newBuilder()
            .setSourceTopic("prompts")
            .setSourcePartition(2)
            .setSourceOffset(41L)
            .setKey(ByteBuffer.wrap("s-1".getBytes(StandardCharsets.UTF_8)))
            .setValue(ByteBuffer.wrap(new byte[] {1, 2, 3}))
            .setReason("UNDESERIALIZABLE")
            .setMessage("not Avro")
            .setTimestamp(Instant.ofEpochMilli(1_700_000_000_000L))
            .build());
  }

  @ParameterizedTest
  @MethodSource("everyTopicRecord")
  <T extends SpecificRecord> void everyTopicRecordRoundTripsInTheWireFormat(T record) {
    @SuppressWarnings("unchecked")
    Class<T> type = (Class<T>) record.getClass();
    RegistryAvroSerde<T> serde = RegistryAvroSerde.of(type, registry);

    byte[] bytes = serde.serializer().serialize("runnel.topic", record);

    assertThat(server.requests()).containsExactly("POST /subjects/runnel.topic-value/versions");
    assertThat(bytes[0]).as("magic byte").isZero();
    assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt())
        .as("schema id the registry assigned")
        .isEqualTo(100);
    SchemaRegistry freshReader = SchemaRegistry.connect(server.url(), null, TIMEOUT);
    assertThat(
            RegistryAvroSerde.of(type, freshReader)
                .deserializer()
                .deserialize("runnel.topic", bytes))
        .isEqualTo(record);
    assertThat(server.requests()).endsWith("GET /schemas/ids/100");
  }

  @Test
  void idsAreCachedSoEachSchemaIsRegisteredAndFetchedOnce() {
    RegistryAvroSerde<Cancellation> serde = RegistryAvroSerde.of(Cancellation.class, registry);
    Cancellation cancel = Cancellation.newBuilder().setReason("stop").build();

    byte[] first = serde.serializer().serialize("cancels", cancel);
    byte[] second = serde.serializer().serialize("cancels", cancel);
    byte[] viaAnotherSerde =
        RegistryAvroSerde.of(Cancellation.class, registry)
            .serializer()
            .serialize("cancels", cancel);
    for (int i = 0; i < 10; i++) {
      assertThat(serde.deserializer().deserialize("cancels", first)).isEqualTo(cancel);
    }

    assertThat(second).isEqualTo(first);
    assertThat(viaAnotherSerde).isEqualTo(first);
    assertThat(server.count("POST /subjects/cancels-value/versions")).isEqualTo(1);
    assertThat(server.count("GET /schemas/ids/100"))
        .as("the id learnt when registering needs no fetch")
        .isZero();
  }

  @Test
  void eachTopicRegistersUnderItsOwnSubject() {
    RegistryAvroSerde<Cancellation> serde = RegistryAvroSerde.of(Cancellation.class, registry);
    Cancellation cancel = Cancellation.newBuilder().build();

    serde.encode("a", cancel);
    serde.encode("b", cancel);

    assertThat(server.requests())
        .containsExactly("POST /subjects/a-value/versions", "POST /subjects/b-value/versions");
  }

  @Test
  void tombstoneStaysNullWithoutCallingTheRegistry() {
    RegistryAvroSerde<SessionState> serde = RegistryAvroSerde.of(SessionState.class, registry);

    assertThat(serde.serializer().serialize("sessions", null)).isNull();
    assertThat(serde.deserializer().deserialize("sessions", null)).isNull();
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void basicAuthCredentialsAreSent() {
    String userInfo = "runnel:s3cret";
    server.requireAuthorization(
        "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
    RegistryAvroSerde<Cancellation> withAuth =
        RegistryAvroSerde.of(
            Cancellation.class, SchemaRegistry.connect(server.url(), userInfo, TIMEOUT));
    RegistryAvroSerde<Cancellation> withoutAuth =
        RegistryAvroSerde.of(Cancellation.class, registry);
    Cancellation cancel = Cancellation.newBuilder().build();

    assertThat(withAuth.decode("c", withAuth.encode("c", cancel))).isEqualTo(cancel);
    assertThatThrownBy(() -> withoutAuth.encode("c", cancel))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("HTTP 401")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void unreachableRegistryFailsNamingUrlAndSubject() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closedPort;
    RegistryAvroSerde<Prompt> serde =
        RegistryAvroSerde.of(Prompt.class, SchemaRegistry.connect(url, null, TIMEOUT));

    assertThatThrownBy(() -> serde.encode("prompts", Prompt.newBuilder().setContent("x").build()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Schema registry at " + url + " is unreachable")
        .hasMessageContaining("subject 'prompts-value'");
  }

  @Test
  void incompatibleSchemaFailsWithStatusAndRegistryMessage() {
    server.refuse("sessions-value", 409);
    RegistryAvroSerde<SessionState> serde = RegistryAvroSerde.of(SessionState.class, registry);
    SessionState state =
        SessionState.newBuilder()
            .setSessionId("s")
            .setVersion(1)
            .setMessages(List.of())
            .setUsage(new TokenUsage(0L, 0L, 0L))
            .build();

    assertThatThrownBy(() -> serde.encode("sessions", state))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(server.url())
        .hasMessageContaining("subject 'sessions-value'")
        .hasMessageContaining("HTTP 409 (incompatible")
        .hasMessageContaining("incompatible with an earlier schema");
  }

  @Test
  void registryServerErrorFailsWithStatus() {
    server.refuse("chunks-value", 500);
    RegistryAvroSerde<Chunk> serde = RegistryAvroSerde.of(Chunk.class, registry);
    Chunk chunk =
        Chunk.newBuilder().setSessionId("s").setRequestId("r").setAttempt(1).setSequence(0).build();

    assertThatThrownBy(() -> serde.encode("chunks", chunk))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("subject 'chunks-value'")
        .hasMessageContaining("HTTP 500");
  }

  @Test
  void unknownSchemaIdFailsNamingTheId() {
    RegistryAvroSerde<Prompt> serde = RegistryAvroSerde.of(Prompt.class, registry);
    byte[] unknownId = {0, 0, 0, 0x30, 0x39, 2, 'x'};

    assertThatThrownBy(() -> serde.decode("prompts", unknownId))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema id 12345")
        .hasMessageContaining("HTTP 404");
  }

  @Test
  void singleObjectEncodedBytesAreRejectedAsNotWireFormat() {
    Prompt prompt = Prompt.newBuilder().setContent("hi").build();
    byte[] registryLess = AvroSerde.of(Prompt.class).encode(prompt);

    assertThatThrownBy(
            () -> RegistryAvroSerde.of(Prompt.class, registry).decode("prompts", registryLess))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("first byte 0xc3");
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void urlWithCredentialsIsRejected() {
    assertThatThrownBy(() -> SchemaRegistry.connect("http://u:pw@registry:8081", null, TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pw");
  }
}
