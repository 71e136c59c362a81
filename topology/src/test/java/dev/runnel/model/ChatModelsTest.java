package dev.runnel.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.anthropic.AnthropicChatModel;
import dev.runnel.model.openai.OpenAiChatModel;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Configuration picks the provider, URL, key and timeouts; the key never shows. */
@Timeout(60)
class ChatModelsTest {
  @TempDir Path dir;

  @Test
  void defaultsAreTheSimulatedProviderAndTheDocumentedTimeouts() {
    RunnelConfig config = new RunnelConfig(Map.of());
    assertThat(config.modelProvider()).isEqualTo("simulated");
    assertThat(config.modelTimeouts()).isEqualTo(ModelTimeouts.DEFAULTS);
    assertThat(config.modelMaxTokens()).isZero();
  }

  @Test
  void keyComesFromTheNamedEnvironmentVariableAndPrintsHidden() {
    RunnelConfig config =
        new RunnelConfig(Map.of(RunnelConfig.MODEL_API_KEY_ENV_CONFIG, "MY_KEY_VAR"));
    var key = config.modelApiKey(name -> name.equals("MY_KEY_VAR") ? "sk-env-123" : null);
    assertThat(key).isPresent();
    assertThat(key.get().value()).isEqualTo("sk-env-123");
    assertThat(key.get().toString()).doesNotContain("sk-env-123");
    assertThat(config.modelApiKey(name -> null)).isEmpty();
  }

  @Test
  void keyFileWinsAndItsContentNeverAppearsInErrors() throws Exception {
    Path file = dir.resolve("key.txt");
    Files.writeString(file, "sk-file-456\n");
    RunnelConfig config =
        new RunnelConfig(Map.of(RunnelConfig.MODEL_API_KEY_FILE_CONFIG, file.toString()));
    assertThat(config.modelApiKey(name -> "sk-env-ignored").orElseThrow().value())
        .isEqualTo("sk-file-456");
    assertThat(config.toString()).doesNotContain("sk-file-456");

    Path missing = dir.resolve("nope.txt");
    RunnelConfig bad =
        new RunnelConfig(Map.of(RunnelConfig.MODEL_API_KEY_FILE_CONFIG, missing.toString()));
    assertThatThrownBy(() -> bad.modelApiKey(n -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining(RunnelConfig.MODEL_API_KEY_FILE_CONFIG);
  }

  @Test
  void providerPicksTheClient() {
    try (ChatModel openAi =
            ChatModels.create(
                new RunnelConfig(
                    Map.of(
                        RunnelConfig.MODEL_PROVIDER_CONFIG, "openai",
                        RunnelConfig.MODEL_BASE_URL_CONFIG, "http://127.0.0.1:1/v1")));
        ChatModel anthropic =
            ChatModels.create(
                new RunnelConfig(Map.of(RunnelConfig.MODEL_PROVIDER_CONFIG, "anthropic")))) {
      assertThat(openAi).isInstanceOf(OpenAiChatModel.class);
      assertThat(anthropic).isInstanceOf(AnthropicChatModel.class);
      assertThat(anthropic.toString()).contains("https://api.anthropic.com/v1/messages");
    }
  }

  @Test
  void missingOrBadBaseUrlIsAClearError() {
    assertThatThrownBy(
            () ->
                ChatModels.create(
                    new RunnelConfig(Map.of(RunnelConfig.MODEL_PROVIDER_CONFIG, "openai"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.MODEL_BASE_URL_CONFIG);
    assertThatThrownBy(
            () ->
                ChatModels.create(
                    new RunnelConfig(
                        Map.of(
                            RunnelConfig.MODEL_PROVIDER_CONFIG, "openai",
                            RunnelConfig.MODEL_BASE_URL_CONFIG, "ftp://example"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ftp://example");
    assertThatThrownBy(() -> new RunnelConfig(Map.of(RunnelConfig.MODEL_PROVIDER_CONFIG, "gemini")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("gemini");
  }

  @Test
  void configuredClientStreamsFromTheSimulatorWithTheKeyFromTheFile() throws Exception {
    Path file = dir.resolve("key");
    Files.writeString(file, "sk-sim-789");
    try (SimulatedModelServer server =
            SimulatedModelServer.start(
                SimulatorSettings.DEFAULTS.withTimeToFirstToken(Duration.ofMillis(1)));
        ChatModel model =
            ChatModels.create(
                new RunnelConfig(
                    Map.of(
                        RunnelConfig.MODEL_BASE_URL_CONFIG, server.openAiBaseUrl(),
                        RunnelConfig.MODEL_API_KEY_FILE_CONFIG, file.toString())))) {
      RecordingListener listener = new RecordingListener();
      model.stream(new ChatRequest("runnel-sim", List.of(ChatMessage.user("hello"))), listener);
      assertThat(listener.completion().text())
          .isEqualTo(SimulatedReplies.reply("hello", server.settings().replyTokens()));
      assertThat(server.requests().get(0).header("authorization")).contains("Bearer sk-sim-789");
    }
  }
}
