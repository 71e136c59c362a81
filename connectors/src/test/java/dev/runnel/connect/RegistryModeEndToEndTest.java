package dev.runnel.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.app.ChatModels;
import dev.runnel.app.Runnel;
import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.config.RunnelConfig;
import dev.runnel.gateway.Gateway;
import dev.runnel.schemas.Prompt;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.FakeSchemaRegistry;
import dev.runnel.testkit.ScriptedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema-registry mode through every part, against a registry served over HTTP: the gateway writes
 * a prompt in the registry wire format, the processor answers it, a producer still on Avro
 * single-object encoding (a fleet mid-migration) is answered too, the gateway streams the reply
 * from registry-framed chunks, and the Connect converter reads the session state.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RegistryModeEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void gatewayProcessorAndConverterAgreeOnTheRegistryWireFormat(TestInfo test, @TempDir Path state)
      throws Exception {
    String id = test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    try (FakeSchemaRegistry registry = new FakeSchemaRegistry();
        EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      settings.put(RunnelConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
      settings.put(RunnelConfig.PROMPTS_TOPIC_CONFIG, "prompts-" + id);
      settings.put(RunnelConfig.CANCELLATIONS_TOPIC_CONFIG, "cancellations-" + id);
      settings.put(RunnelConfig.CHUNKS_TOPIC_CONFIG, "chunks-" + id);
      settings.put(RunnelConfig.SESSIONS_TOPIC_CONFIG, "sessions-" + id);
      settings.put(RunnelConfig.DEAD_LETTERS_TOPIC_CONFIG, "dead-letters-" + id);
      settings.put(RunnelConfig.TOPIC_PARTITIONS_CONFIG, 2);
      settings.put(RunnelConfig.METRICS_PORT_CONFIG, 0);
      settings.put(RunnelConfig.GATEWAY_PORT_CONFIG, 0);
      // Keys and tenants are the gateway's own tests; here the session is the record key as sent.
      settings.put(RunnelConfig.GATEWAY_AUTH_MODE_CONFIG, RunnelConfig.AUTH_OPEN);
      settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "runnel-" + id);
      settings.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
      RunnelConfig config = new RunnelConfig(settings);

      try (Runnel runnel =
              Runnel.builder(config)
                  .action(ChatModels.chatAction(config, ScriptedModel.echoing()))
                  .start();
          Gateway gateway = Gateway.start(config)) {
        await().atMost(Duration.ofSeconds(60)).until(gateway::ready);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> accepted =
            http.send(
                HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/sessions/alice/prompts"))
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", "g-1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hello registry\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        CompletableFuture<HttpResponse<String>> events =
            http.sendAsync(
                HttpRequest.newBuilder(
                        URI.create(gateway.url() + "/v1/sessions/alice/events?requestId=g-1"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        try (KafkaProducer<byte[], byte[]> legacy =
            new KafkaProducer<>(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
          byte[] singleObject =
              AvroSerde.of(Prompt.class)
                  .encode(
                      Prompt.newBuilder()
                          .setRequestId("p-2")
                          .setContent("and the old way")
                          .build());
          legacy
              .send(
                  new ProducerRecord<>(
                      "prompts-" + id, "alice".getBytes(StandardCharsets.UTF_8), singleObject))
              .get(30, TimeUnit.SECONDS);
        }

        assertThat(replyText(events.get(60, TimeUnit.SECONDS).body()))
            .as("the gateway streams the reply from registry-framed chunks")
            .isEqualTo("echo: hello registry");
        SessionStateConverter converter = new SessionStateConverter();
        converter.configure(
            Map.of(SessionStateConverter.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false);
        List<byte[]> values = new ArrayList<>();
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () -> {
                  assertThat(runnel.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
                  values.clear();
                  values.addAll(newValues(kafka, "sessions-" + id));
                  assertThat(values).hasSize(2);
                });
        assertThat(values).allSatisfy(v -> assertThat(v[0]).as("registry magic byte").isZero());
        Struct latest = (Struct) converter.toConnectData("sessions-" + id, values.get(1)).value();
        assertThat(latest.getString("session_id")).isEqualTo("alice");
        assertThat(latest.getInt64("version")).isEqualTo(2L);
        assertThat(latest.getString("last_request_id")).isEqualTo("p-2");
        assertThat(latest.getString("last_status")).isEqualTo("completed");
        assertThat(JSON.readTree(latest.getString("messages")))
            .extracting(m -> m.get("content").asText())
            .containsExactly(
                "hello registry",
                "echo: hello registry",
                "and the old way",
                "echo: and the old way");
        SchemaAndValue first = converter.toConnectData("sessions-" + id, values.get(0));
        assertThat(((Struct) first.value()).getString("last_request_id")).isEqualTo("g-1");
        assertThat(newValues(kafka, "dead-letters-" + id)).as("dead letters").isEmpty();
        assertThat(registry.requests())
            .contains(
                "POST /subjects/prompts-" + id + "-value/versions",
                "POST /subjects/chunks-" + id + "-value/versions",
                "POST /subjects/sessions-" + id + "-value/versions");
      }
    }
  }

  /** The reply an event stream carries: its deltas, in order, up to the end record. */
  private static String replyText(String sse) throws Exception {
    StringBuilder text = new StringBuilder();
    boolean ended = false;
    for (String line : sse.split("\n")) {
      if (line.startsWith("data:")) {
        JsonNode chunk = JSON.readTree(line.substring("data:".length()));
        if (chunk.path("end").asBoolean()) {
          ended = true;
        } else {
          text.append(chunk.path("delta").asText());
        }
      }
    }
    assertThat(ended).as("an end record in: " + sse).isTrue();
    return text.toString();
  }

  /** Every committed value of a topic, read from the start. */
  private static List<byte[]> newValues(EmbeddedKafka kafka, String topic) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<byte[]> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(settings, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }
}
