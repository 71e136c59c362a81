package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.SessionState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor reads prompts and cancellations in every accepted framing and says why it rejects
 * the rest.
 */
class InputFramingTest {
  @TempDir Path stateDir;

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void jsonPromptsAreAnsweredAndBadOnesDeadLetteredNamingTheField() {
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), Map.of())) {
      h.send("s", "r-1", "from Avro");
      h.rawPrompts.pipeInput(
          utf8("s"), utf8("{\"requestId\":\"r-2\",\"content\":\"from JSON\",\"model\":null}"));
      h.rawPrompts.pipeInput(utf8("s"), utf8("{\"content\":\"hi\",\"temperature\":0.2}"));
      h.rawPrompts.pipeInput(utf8("s"), utf8("{\"content\":7}"));
      h.pump();
      h.pump();

      List<SessionState> states = h.states("s");
      assertThat(states).extracting(SessionState::getVersion).containsExactly(1L, 2L);
      assertThat(states.get(1).getMessages())
          .extracting(Message::getContent)
          .containsExactly("from Avro", "echo: from Avro", "from JSON", "echo: from JSON");
      assertThat(states.get(1).getLastRequestId()).isEqualTo("r-2");
      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::getReason).containsOnly("UNDESERIALIZABLE");
      assertThat(letters)
          .extracting(DeadLetter::getMessage)
          .containsExactly(
              "Not a Prompt in JSON: unknown field 'temperature' (fields: requestId, content, model,"
                  + " attributes, action, tools, toolResults)",
              "Not a Prompt in JSON: field 'content' must be a string, not number");
    }
  }

  @Test
  void registryFramedPromptWithoutARegistryIsDeadLetteredSayingSo() {
    byte[] registryFramed = {0, 0, 0, 0, 7, 2, 'x'};
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), Map.of())) {
      h.rawPrompts.pipeInput(utf8("s"), registryFramed);
      h.send("s", "r-1", "still served");
      h.pump();

      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("UNDESERIALIZABLE");
      assertThat(letter.getMessage())
          .contains("schema-registry wire format (magic byte 0x00, schema id 7)")
          .contains("no schema registry is configured (runnel.schema.registry.url is empty)");
      assertThat(h.states("s")).extracting(SessionState::getLastRequestId).containsExactly("r-1");
    }
  }

  @Test
  void jsonCancellationsStopTheRunningCallAndAQueuedOne() {
    ScriptedModel model = ScriptedModel.manual();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      TestInputTopic<byte[], byte[]> rawCancellations =
          h.driver.createInputTopic(
              h.topics.cancellations().name(),
              new ByteArraySerializer(),
              new ByteArraySerializer());
      h.send("s", "r1", "first");
      h.send("s", "r2", "second");
      h.send("s", "r3", "third");
      h.pump();
      rawCancellations.pipeInput(utf8("s"), utf8("{\"requestId\":\"r2\"}"));
      rawCancellations.pipeInput(utf8("s"), utf8("{\"reason\":\"user left\"}"));
      rawCancellations.pipeInput(utf8("s"), utf8("{\"requestId\":\"r3\",\"force\":true}"));
      h.pump();
      model.lastCall().delta("3").complete();
      h.pump();

      assertThat(h.endChunks())
          .extracting(Chunk::getRequestId, Chunk::getFinishReason)
          .containsExactly(
              tuple("r2", FinishReason.CANCELLED),
              tuple("r1", FinishReason.CANCELLED),
              tuple("r3", FinishReason.STOP));
      assertThat(h.deadLetters.readValuesToList())
          .extracting(DeadLetter::getMessage)
          .containsExactly(
              "Not a Cancellation in JSON: unknown field 'force' (fields: requestId, reason)");
    }
  }
}
