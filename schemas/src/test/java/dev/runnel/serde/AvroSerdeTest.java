package dev.runnel.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  @Test
  void promptRoundTripsWithNonAsciiText() {
    AvroSerde<Prompt> serde = AvroSerde.of(Prompt.class);
    Prompt prompt =
        Prompt.newBuilder()
            .setRequestId("r-1")
            .setContent("你好, Kafka 👋")
            .setAttributes(Map.of("tenant", "acme"))
            .build();

    byte[] bytes = serde.serializer().serialize("prompts", prompt);

    assertThat(bytes[0]).as("single-object encoding marker").isEqualTo((byte) 0xC3);
    assertThat(serde.deserializer().deserialize("prompts", bytes)).isEqualTo(prompt);
  }

  @Test
  void sessionStateWithNestedRecordsRoundTrips() {
    AvroSerde<SessionState> serde = AvroSerde.of(SessionState.class);
    SessionState state =
        SessionState.newBuilder()
            .setSessionId("s-1")
            .setVersion(3)
            .setMessages(
                List.of(
                    new Message(Role.USER, "hi", "r-1", List.of(), null),
                    new Message(Role.ASSISTANT, "hello", "r-1", List.of(), null)))
            .setUsage(new TokenUsage(3L, 5L, 8L))
            .setUpdatedAt(Instant.ofEpochMilli(1_700_000_000_000L))
            .build();

    assertThat(serde.decode(serde.encode(state))).isEqualTo(state);
  }

  @Test
  void endChunkRoundTrips() {
    AvroSerde<Chunk> serde = AvroSerde.of(Chunk.class);
    Chunk end =
        Chunk.newBuilder()
            .setSessionId("s")
            .setRequestId("r")
            .setAttempt(2)
            .setSequence(7)
            .setEnd(true)
            .setFinishReason(FinishReason.STOP)
            .setTextLength(42)
            .build();

    assertThat(serde.decode(serde.encode(end))).isEqualTo(end);
  }

  @Test
  void tombstoneStaysNull() {
    AvroSerde<SessionState> serde = AvroSerde.of(SessionState.class);

    assertThat(serde.encode(null)).isNull();
    assertThat(serde.decode(null)).isNull();
  }

  @Test
  void garbageFailsWithAnErrorNamingTheType() {
    AvroSerde<Prompt> serde = AvroSerde.of(Prompt.class);
    byte[] plainText = "just a string".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> serde.decode(plainText))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Not a Prompt");
  }

  @Test
  void aRecordOfAnotherTypeIsRejected() {
    byte[] chunkBytes =
        AvroSerde.of(Chunk.class)
            .encode(
                Chunk.newBuilder()
                    .setSessionId("s")
                    .setRequestId("r")
                    .setAttempt(1)
                    .setSequence(0)
                    .build());

    assertThatThrownBy(() -> AvroSerde.of(Prompt.class).decode(chunkBytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Not a Prompt");
  }
}
