package dev.runnel.app;

import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.anthropic.AnthropicChatModel;
import dev.runnel.model.internal.Redaction;
import dev.runnel.model.openai.OpenAiChatModel;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** Builds the configured model client and the chat action over it. */
public final class ChatModels {
  private ChatModels() {}

  /**
   * The client {@link RunnelConfig#MODEL_PROVIDER_CONFIG} names, at {@link
   * RunnelConfig#MODEL_BASE_URL_CONFIG}, with the configured key and timeouts. Provider {@code
   * simulated} is an OpenAI-format client; its base URL must point at a running {@link
   * dev.runnel.simulator.SimulatedModelServer} (the embedded mode starts one and sets it).
   *
   * @throws ConfigException naming the setting when the URL is missing or the key file unreadable
   */
  public static ChatModel create(RunnelConfig config) {
    String provider = config.modelProvider();
    String baseUrl = config.modelBaseUrl();
    Password key = config.modelApiKey().orElse(null);
    ModelTimeouts timeouts = config.modelTimeouts();
    try {
      return switch (provider) {
        case RunnelConfig.PROVIDER_ANTHROPIC -> {
          AnthropicChatModel.Builder b =
              AnthropicChatModel.builder()
                  .apiKey(key)
                  .timeouts(timeouts)
                  .maxReplyChars(config.replyMaxChars());
          yield (baseUrl.isEmpty() ? b : b.baseUrl(baseUrl)).build();
        }
        case RunnelConfig.PROVIDER_OPENAI, RunnelConfig.PROVIDER_SIMULATED -> {
          if (baseUrl.isEmpty()) {
            throw new ConfigException(
                RunnelConfig.MODEL_BASE_URL_CONFIG,
                baseUrl,
                provider.equals(RunnelConfig.PROVIDER_OPENAI)
                    ? "provider openai needs a base URL, e.g. https://api.openai.com/v1"
                    : "provider simulated needs the URL of a running simulator"
                        + " (SimulatedModelServer#openAiBaseUrl)");
          }
          yield OpenAiChatModel.builder()
              .baseUrl(baseUrl)
              .apiKey(key)
              .timeouts(timeouts)
              .maxReplyChars(config.replyMaxChars())
              .build();
        }
        default ->
            throw new ConfigException(RunnelConfig.MODEL_PROVIDER_CONFIG, provider, "unknown");
      };
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          RunnelConfig.MODEL_BASE_URL_CONFIG, Redaction.url(baseUrl), e.getMessage());
    }
  }

  /** The chat action over {@code model} with the configured system prompt and token limit. */
  public static ChatAction chatAction(RunnelConfig config, ChatModel model) {
    return new ChatAction(model, config.modelSystemPrompt(), config.modelMaxTokens());
  }
}
