package dev.runnel.model.openai;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.StreamListener;
import dev.runnel.model.internal.Redaction;
import dev.runnel.model.internal.SseHttpClient;
import dev.runnel.model.openai.internal.OpenAiStreamProtocol;
import dev.runnel.model.openai.internal.OpenAiWire;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.config.types.Password;

/**
 * Client of the OpenAI Chat Completions streaming API and the servers that copy it (vLLM, Ollama,
 * llama.cpp, LM Studio, new-api, LiteLLM, ...). POSTs to {@code {baseUrl}/chat/completions}, so the
 * base URL includes the version path ({@code https://api.openai.com/v1}). Sends {@code
 * Authorization: Bearer} only when a key is set. Non-blocking: no thread waits on an open stream.
 * See {@link OpenAiStreamProtocol} for what it reads from the stream and what it ignores.
 */
public final class OpenAiChatModel implements ChatModel {
  private final URI endpoint;
  private final String authorization;
  private final Redaction redaction;
  private final SseHttpClient http;

  private OpenAiChatModel(Builder b) {
    SseHttpClient.Endpoint target = SseHttpClient.endpoint(b.baseUrl, "/chat/completions");
    boolean hasKey = b.apiKey != null && !b.apiKey.value().isEmpty();
    if (hasKey && target.basicAuthorization().isPresent()) {
      throw new IllegalArgumentException(
          "baseUrl carries credentials (user:password@) and an API key is set: both would be the"
              + " Authorization header; keep one");
    }
    this.endpoint = target.uri();
    this.authorization =
        hasKey ? "Bearer " + b.apiKey.value() : target.basicAuthorization().orElse(null);
    List<String> secrets = new ArrayList<>(target.secrets());
    if (hasKey) {
      secrets.add(b.apiKey.value());
    }
    this.redaction = Redaction.of(secrets);
    this.http = new SseHttpClient(b.timeouts, b.threads, b.maxReplyChars);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ChatCall stream(ChatRequest request, StreamListener listener) {
    HttpRequest.Builder r = http.postJson(endpoint, OpenAiWire.requestBody(request));
    if (authorization != null) {
      r.header("Authorization", authorization);
    }
    return http.start(r.build(), OpenAiStreamProtocol::new, listener, redaction);
  }

  @Override
  public void close() {
    http.close();
  }

  @Override
  public String toString() {
    return "OpenAiChatModel[" + Redaction.url(endpoint.toString()) + "]";
  }

  /** Settings of an {@link OpenAiChatModel}. */
  public static final class Builder {
    private String baseUrl;
    private Password apiKey;
    private ModelTimeouts timeouts = ModelTimeouts.DEFAULTS;
    private int threads = 2;
    private int maxReplyChars = SseHttpClient.DEFAULT_MAX_REPLY_CHARS;

    private Builder() {}

    /** Up to and including the version path, e.g. {@code https://api.openai.com/v1}. */
    public Builder baseUrl(String baseUrl) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
      return this;
    }

    /** The API key; null or empty sends no Authorization header (local servers). */
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

    public OpenAiChatModel build() {
      return new OpenAiChatModel(this);
    }
  }
}
