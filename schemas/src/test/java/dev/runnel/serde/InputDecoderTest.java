package dev.runnel.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.PromptTool;
import dev.runnel.schemas.PromptToolResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InputDecoderTest {
  private static final Prompt PROMPT =
      Prompt.newBuilder()
          .setRequestId("r-1")
          .setContent("你好, Kafka 👋")
          .setModel("runnel-sim")
          .setAttributes(Map.of("tenant", "acme"))
          .build();

  private final InputDecoder<Prompt> registryLess = InputDecoder.of(Prompt.class, Optional.empty());

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsBothAvroFramingsThroughOneDecoder() throws Exception {
    try (FakeSchemaRegistry server = new FakeSchemaRegistry()) {
      SchemaRegistry registry = SchemaRegistry.connect(server.url(), null, Duration.ofSeconds(5));
      byte[] registryFramed = RegistryAvroSerde.of(Prompt.class, registry).encode("p", PROMPT);
      byte[] singleObject = AvroSerde.of(Prompt.class).encode(PROMPT);
      InputDecoder<Prompt> decoder =
          InputDecoder.of(
              Prompt.class,
              Optional.of(SchemaRegistry.connect(server.url(), null, Duration.ofSeconds(5))));

      for (int i = 0; i < 3; i++) {
        assertThat(decoder.decode("p", registryFramed)).isEqualTo(PROMPT);
        assertThat(decoder.decode("p", singleObject)).isEqualTo(PROMPT);
      }
      assertThat(server.count("GET /schemas/ids/100")).as("the id is fetched once").isEqualTo(1);
    }
  }

  @Test
  void registryFramedRecordWithoutARegistrySaysSo() {
    byte[] registryFramed = {0, 0, 0, 0, 100, 2, 'x'};

    assertThatThrownBy(() -> registryLess.decode("p", registryFramed))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema-registry wire format (magic byte 0x00, schema id 100)")
        .hasMessageContaining("no schema registry is configured (runnel.schema.registry.url");
  }

  @Test
  void jsonPromptWithEveryField() {
    byte[] json =
        utf8(
            "{\"requestId\": \"r-1\", \"content\": \"你好, Kafka 👋\", \"model\": \"runnel-sim\","
                + " \"attributes\": {\"tenant\": \"acme\"}}");

    assertThat(registryLess.decode("p", json)).isEqualTo(PROMPT);
  }

  @Test
  void jsonPromptWithClientToolsAndToolResults() {
    byte[] json =
        utf8(
            "{\"content\": \"\", \"tools\": [{\"name\": \"lookup\", \"parameters\":"
                + " \"{\\\"type\\\":\\\"object\\\"}\"}], \"toolResults\": [{\"callId\": \"call_1\","
                + " \"content\": \"42\"}]}");

    Prompt prompt = registryLess.decode("p", json);

    assertThat(prompt.getTools())
        .containsExactly(new PromptTool("lookup", "", "{\"type\":\"object\"}"));
    assertThat(prompt.getToolResults()).containsExactly(new PromptToolResult("call_1", "42"));
  }

  @Test
  void jsonMissingOptionalFieldsTakeTheirDefaults() {
    Prompt prompt = registryLess.decode("p", utf8("{\"content\":\"hi\",\"model\":null}"));

    assertThat(prompt)
        .isEqualTo(Prompt.newBuilder().setContent("hi").setAttributes(Map.of()).build());
  }

  @Test
  void jsonCancellation() {
    InputDecoder<Cancellation> decoder = InputDecoder.of(Cancellation.class, Optional.empty());

    assertThat(decoder.decode("c", utf8("{\"requestId\":\"r-9\"}")))
        .isEqualTo(Cancellation.newBuilder().setRequestId("r-9").build());
    assertThat(decoder.decode("c", utf8("{}"))).isEqualTo(Cancellation.newBuilder().build());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"content\":\"hi\",\"prompt\":\"x\"}|unknown field 'prompt' (fields: requestId, content,"
            + " model, attributes, action, tools, toolResults)",
        "{\"content\":\"hi\",\"tools\":[{\"description\":\"d\"}]}|field 'tools[0].name' is required",
        "{\"content\":\"\",\"toolResults\":[{\"callId\":1}]}|field 'toolResults[0].callId' must be"
            + " a string, not number",
        "{\"content\":42}|field 'content' must be a string, not number",
        "{\"content\":null}|field 'content' must be a string, not null",
        "{\"model\":\"m\"}|field 'content' is required",
        "{\"content\":\"hi\",\"model\":[\"m\"]}|field 'model' must be a string, not array",
        "{\"content\":\"hi\",\"attributes\":{\"n\":1}}|field 'attributes.n' must be a string, not"
            + " number",
        "{\"content\":\"hi\",\"attributes\":\"a=b\"}|field 'attributes' must be an object, not"
            + " string",
        "{\"content\":\"hi\",\"content\":\"ho\"}|Duplicate field 'content'",
        "{\"content\":\"hi\"} {}|more after the JSON object (at byte 17)",
        "{\"content\":\"hi\"|the value ends (after 15 bytes) inside the JSON object",
        "{content:1}|Unexpected character ('c' (code 99)): was expecting double-quote to start field name (at byte 1)",
      })
  void badJsonIsRejectedNamingTheField(String json, String message) {
    assertThatThrownBy(() -> registryLess.decode("p", utf8(json)))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith("Not a Prompt in JSON: ")
        .hasMessageContaining(message);
  }

  @Test
  void otherBytesAreRejectedNamingTheAcceptedFramings() {
    assertThatThrownBy(() -> registryLess.decode("p", utf8("hello")))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("starting 0x68 0x65")
        .hasMessageContaining("Avro single-object encoding (0xc3 0x01)")
        .hasMessageContaining("a JSON object");
    assertThat(registryLess.decode("p", null)).isNull();
  }
}
