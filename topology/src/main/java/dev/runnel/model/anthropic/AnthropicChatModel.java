package dev.runnel.model.anthropic;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.StreamListener;
import dev.runnel.model.anthropic.internal.AnthropicStreamProtocol;
import dev.runnel.model.anthropic.internal.AnthropicWire;
import dev.runnel.model.internal.Redaction;
import dev.runnel.model.internal.SseHttpClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.config.types.Password;

/**
 * Client of the Anthropic Messages streaming API. POSTs to {@code {baseUrl}/v1/messages} (base URL
 * {@code https://api.anthropic.com}) with {@code x-api-key} and {@code anthropic-version:
 * 2023-06-01}. Non-blocking: no thread waits on an open stream. See {@link AnthropicStreamProtocol}
 * for the events it reads and ignores.
 */
public final class AnthropicChatModel implements ChatModel {
  /** The API version this client speaks. */
  public static final String API_VERSION = "2023-06-01";

  private final URI endpoint;
  private final Password apiKey;
  private final String basicAuthorization;
  private final Redaction redaction;
  private final SseHttpClient http;

  private AnthropicChatModel(Builder b) {
    SseHttpClient.Endpoint target = SseHttpClient.endpoint(b.baseUrl, "/v1/messages");
    this.endpoint = target.uri();
    this.apiKey = b.apiKey;
    // The key goes in x-api-key, so credentials in the URL (a proxy's) can be Basic beside it.
    this.basicAuthorization = target.basicAuthorization().orElse(null);
    List<String> secrets = new ArrayList<>(target.secrets());
    if (apiKey != null) {
      secrets.add(apiKey.value());
    }
    this.redaction = Redaction.of(secrets);
    this.http = new SseHttpClient(b.timeouts, b.threads, b.maxReplyChars);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ChatCall stream(ChatRequest request, StreamListener listener) {
    String body;
    try {
      body = AnthropicWire.requestBody(request);
    } catch (IllegalArgumentException e) {
      // A conversation the Messages API cannot carry (tool arguments that are no JSON object).
      listener.onError(new ModelException(ModelException.Kind.BAD_REQUEST, e.getMessage()));
      return () -> {};
    }
    HttpRequest.Builder r = http.postJson(endpoint, body).header("anthropic-version", API_VERSION);
    if (apiKey != null && !apiKey.value().isEmpty()) {
      r.header("x-api-key", apiKey.value());
    }
    if (basicAuthorization != null) {
      r.header("Authorization", basicAuthorization);
    }
    return http.start(r.build(), AnthropicStreamProtocol::new, listener, redaction);
  }

  @Override
  public void close() {
    http.close();
  }

  @Override
  public String toString() {
    return "AnthropicChatModel[" + Redaction.url(endpoint.toString()) + "]";
  }

  /** Settings of an {@link AnthropicChatModel}. */
  public static final class Builder {
    private String baseUrl = "https://api.anthropic.com";
    private Password apiKey;
    private ModelTimeouts timeouts = ModelTimeouts.DEFAULTS;
    private int threads = 2;
    private int maxReplyChars = SseHttpClient.DEFAULT_MAX_REPLY_CHARS;

    private Builder() {}

    /** Without the version path, e.g. {@code https://api.anthropic.com} (the default). */
    public Builder baseUrl(String baseUrl) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
      return this;
    }

    public Builder apiKey(Password apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    public Builder timeouts(ModelTimeouts timeouts) {
      this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
      return this;
    }

    /** Threads that parse bodies and call listeners, shared by all open streams. */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * The longest reply a call accumulates; a longer one ends with {@link
     * dev.runnel.model.FinishReason#LENGTH} after its first {@code maxReplyChars} characters.
     */
    public Builder maxReplyChars(int maxReplyChars) {
      this.maxReplyChars = maxReplyChars;
      return this;
    }

    public AnthropicChatModel build() {
      return new AnthropicChatModel(this);
    }
  }
}
