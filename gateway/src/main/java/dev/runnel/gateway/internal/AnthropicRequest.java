package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parts of an Anthropic {@code POST /v1/messages} body that Runnel uses. The prompt is the last
 * message, which must be the user's; earlier messages are not sent again, because the Runnel
 * session holds the conversation, as for Chat Completions. {@code max_tokens} is required, as
 * Anthropic requires it; {@code metadata.user_id} is the end user's id, as {@code user} is for
 * OpenAI. Fields Runnel cannot honour are refused, never dropped.
 */
record AnthropicRequest(
    Optional<String> model, String prompt, boolean stream, Optional<String> user) {

  private static final String GENERATION =
      "generation parameters do not reach the model yet, so Runnel cannot honour it";
  private static final String TOOLS = "Runnel does not run tool calls here yet";

  private static final ParameterRules RULES =
      new ParameterRules(
          "a Messages",
          Set.of("model", "messages", "max_tokens", "system", "stream", "metadata"),
          Map.ofEntries(
              Map.entry("container", ParameterRules.Rule.refused(TOOLS)),
              Map.entry("context_management", ParameterRules.Rule.refused(GENERATION)),
              Map.entry("mcp_servers", ParameterRules.Rule.refused(TOOLS)),
              Map.entry(
                  "service_tier",
                  ParameterRules.Rule.refused("Runnel does not pass it to the model")),
              Map.entry(
                  "stop_sequences",
                  new ParameterRules.Rule(GENERATION, "[]", ParameterRules::emptyArray)),
              Map.entry("temperature", ParameterRules.Rule.refused(GENERATION)),
              Map.entry(
                  "thinking",
                  new ParameterRules.Rule(
                      GENERATION,
                      "{\"type\":\"disabled\"}",
                      v -> v.path("type").asText("").equals("disabled") && v.size() == 1)),
              Map.entry(
                  "tool_choice",
                  new ParameterRules.Rule(
                      TOOLS,
                      "{\"type\":\"none\"} or {\"type\":\"auto\"}",
                      v ->
                          v.size() == 1
                              && (v.path("type").asText("").equals("none")
                                  || v.path("type").asText("").equals("auto")))),
              Map.entry("tools", new ParameterRules.Rule(TOOLS, "[]", ParameterRules::emptyArray)),
              Map.entry("top_k", ParameterRules.Rule.refused(GENERATION)),
              Map.entry("top_p", ParameterRules.Rule.refused(GENERATION))));

  static AnthropicRequest parse(JsonNode body, int promptMaxChars, ModelLimits limits) {
    RULES.check(body);
    limits.checkMaxTokens(body.get("max_tokens"), "max_tokens", true);
    JsonNode system = body.get("system");
    if (system != null && system.isArray()) {
      system = new TextNode(text(system, "system"));
    }
    limits.checkSystem(system, "system");
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new Validation.Invalid(
          "bad_messages", "'messages' must be a non-empty array", "messages");
    }
    for (JsonNode message : messages) {
      String role = message.path("role").asText("");
      if (!message.isObject() || !(role.equals("user") || role.equals("assistant"))) {
        throw new Validation.Invalid(
            "bad_messages",
            "each message must be an object with role 'user' or 'assistant'",
            "messages");
      }
    }
    JsonNode last = messages.get(messages.size() - 1);
    if (!last.get("role").asText().equals("user")) {
      throw new Validation.Invalid(
          "bad_messages",
          "the last message must be the user's: Runnel does not continue a prefilled assistant turn",
          "messages");
    }
    String prompt = Validation.prompt(content(last.get("content")), promptMaxChars);
    JsonNode model = body.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      throw new Validation.Invalid("bad_model", "'model' must be a string", "model");
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw new Validation.Invalid("bad_stream", "'stream' must be true or false", "stream");
    }
    return new AnthropicRequest(
        model == null || model.isNull() || model.asText().isBlank()
            ? Optional.empty()
            : Optional.of(model.asText()),
        prompt,
        stream != null && stream.asBoolean(false),
        user(body.get("metadata")));
  }

  private static Optional<String> user(JsonNode metadata) {
    if (metadata == null || metadata.isNull()) {
      return Optional.empty();
    }
    if (!metadata.isObject()) {
      throw new Validation.Invalid("bad_metadata", "'metadata' must be an object", "metadata");
    }
    for (Map.Entry<String, JsonNode> field : metadata.properties()) {
      if (!field.getKey().equals("user_id") && !field.getValue().isNull()) {
        throw ParameterRules.unsupported(
            "metadata." + field.getKey(),
            "'metadata." + field.getKey() + "' is not a metadata field Runnel knows",
            null);
      }
    }
    JsonNode user = metadata.get("user_id");
    if (user == null || user.isNull()) {
      return Optional.empty();
    }
    if (!user.isTextual()) {
      throw new Validation.Invalid(
          "bad_metadata", "'metadata.user_id' must be a string", "metadata.user_id");
    }
    return user.asText().isEmpty() ? Optional.empty() : Optional.of(user.asText());
  }

  private static String content(JsonNode content) {
    if (content != null && content.isTextual()) {
      return content.asText();
    }
    if (content == null || !content.isArray()) {
      throw new Validation.Invalid(
          "bad_messages",
          "a message's 'content' must be a string or an array of content blocks",
          "messages");
    }
    return text(content, "messages");
  }

  /** The text of an array of text blocks; any other block is refused. */
  private static String text(JsonNode blocks, String param) {
    StringBuilder text = new StringBuilder();
    for (JsonNode block : blocks) {
      if (!"text".equals(block.path("type").asText()) || !block.path("text").isTextual()) {
        throw ParameterRules.unsupported(
            param, "only text content blocks are supported: Runnel sends text to the model", null);
      }
      if (block.has("cache_control") && !block.get("cache_control").isNull()) {
        throw ParameterRules.unsupported(
            param, "'cache_control' is not supported: Runnel does not pass it to the model", null);
      }
      text.append(block.get("text").asText());
    }
    return text.toString();
  }
}
