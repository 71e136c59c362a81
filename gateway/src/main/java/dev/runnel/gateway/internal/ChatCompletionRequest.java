package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * The parts of an OpenAI {@code POST /v1/chat/completions} body that Runnel uses. The prompt is the
 * last {@code user} message; earlier messages are not sent again, because the Runnel session holds
 * the conversation (see the gateway README). Fields Runnel cannot honour are refused ({@link
 * ChatParameters}). {@code user} is the caller's end-user id, as in OpenAI's API, never a session.
 */
record ChatCompletionRequest(
    Optional<String> model,
    String prompt,
    boolean stream,
    boolean includeUsage,
    Optional<String> user) {

  static ChatCompletionRequest parse(JsonNode body, int promptMaxChars) {
    ChatParameters.check(body);
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new Validation.Invalid(
          "bad_messages", "'messages' must be a non-empty array", "messages");
    }
    String prompt = null;
    for (JsonNode message : messages) {
      if (!message.isObject() || !message.path("role").isTextual()) {
        throw new Validation.Invalid(
            "bad_messages", "each message must be an object with a string 'role'", "messages");
      }
      if (message.get("role").asText().equals("user")) {
        prompt = content(message.get("content"));
      }
    }
    if (prompt == null) {
      throw new Validation.Invalid(
          "bad_messages", "'messages' holds no message with role user", "messages");
    }
    Validation.prompt(prompt, promptMaxChars);
    JsonNode model = body.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      throw new Validation.Invalid("bad_model", "'model' must be a string", "model");
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw new Validation.Invalid("bad_stream", "'stream' must be true or false", "stream");
    }
    JsonNode user = body.get("user");
    if (user != null && !user.isNull() && !user.isTextual()) {
      throw new Validation.Invalid("bad_user", "'user' must be a string", "user");
    }
    return new ChatCompletionRequest(
        model == null || model.isNull() || model.asText().isBlank()
            ? Optional.empty()
            : Optional.of(model.asText()),
        prompt,
        stream != null && stream.asBoolean(false),
        body.path("stream_options").path("include_usage").asBoolean(false),
        user != null && user.isTextual() && !user.asText().isEmpty()
            ? Optional.of(user.asText())
            : Optional.empty());
  }

  // Content is a string, or (newer clients) an array of parts of which the text ones count.
  private static String content(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (content.isArray()) {
      StringBuilder text = new StringBuilder();
      for (JsonNode part : content) {
        if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
          text.append(part.get("text").asText());
        }
      }
      return text.toString();
    }
    throw new Validation.Invalid(
        "bad_messages", "a message's 'content' must be a string or an array", "messages");
  }
}
