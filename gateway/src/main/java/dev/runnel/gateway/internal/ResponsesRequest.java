package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parts of an OpenAI {@code POST /v1/responses} body that Runnel uses. {@code input} is one
 * user message (a string, or one message item with text content): the rest of the conversation is
 * in the Runnel session, which {@code previous_response_id} names. Fields Runnel cannot honour are
 * refused with {@code unsupported_parameter}, never dropped; see the gateway README.
 */
record ResponsesRequest(
    Optional<String> model,
    String prompt,
    Optional<String> previousResponseId,
    boolean store,
    boolean stream,
    boolean background,
    Optional<String> user) {

  private static final String GENERATION =
      "generation parameters do not reach the model yet, so Runnel cannot honour it";
  private static final String TOOLS = "Runnel does not run tool or function calls here yet";

  private static final ParameterRules RULES =
      new ParameterRules(
          "a Responses",
          Set.of(
              "model",
              "input",
              "instructions",
              "previous_response_id",
              "store",
              "stream",
              "background",
              "user",
              "max_output_tokens"),
          Map.ofEntries(
              Map.entry("conversation", ParameterRules.Rule.refused("use previous_response_id")),
              Map.entry(
                  "include",
                  new ParameterRules.Rule(
                      "Runnel returns no extra output data", "[]", ParameterRules::emptyArray)),
              Map.entry("max_tool_calls", ParameterRules.Rule.refused(TOOLS)),
              Map.entry(
                  "metadata",
                  new ParameterRules.Rule(
                      "Runnel does not store metadata with a response",
                      "{}",
                      ParameterRules::emptyObject)),
              Map.entry(
                  "parallel_tool_calls",
                  new ParameterRules.Rule(
                      TOOLS + "; the flag only matters with tools",
                      "true or false",
                      JsonNode::isBoolean)),
              Map.entry("prompt", ParameterRules.Rule.refused("Runnel has no prompt templates")),
              Map.entry(
                  "prompt_cache_key",
                  ParameterRules.Rule.refused("Runnel does not pass it to the model")),
              Map.entry(
                  "prompt_cache_retention",
                  ParameterRules.Rule.refused("Runnel does not pass it to the model")),
              Map.entry("reasoning", ParameterRules.Rule.refused(GENERATION)),
              Map.entry(
                  "safety_identifier",
                  ParameterRules.Rule.refused(
                      "Runnel does not pass it to the model; 'user' is recorded instead")),
              Map.entry(
                  "service_tier",
                  ParameterRules.Rule.refused("Runnel does not pass it to the model")),
              Map.entry(
                  "stream_options",
                  ParameterRules.Rule.refused("Runnel does not pad or reshape its events")),
              Map.entry("temperature", ParameterRules.Rule.refused(GENERATION)),
              Map.entry(
                  "text",
                  new ParameterRules.Rule(
                      "Runnel does not constrain the reply's format yet",
                      "{\"format\":{\"type\":\"text\"}}",
                      v ->
                          v.isObject()
                              && v.size() == 1
                              && v.path("format").size() == 1
                              && v.path("format").path("type").asText("").equals("text"))),
              Map.entry(
                  "tool_choice",
                  new ParameterRules.Rule(
                      TOOLS,
                      "\"none\" or \"auto\"",
                      v -> v.asText("").equals("none") || v.asText("").equals("auto"))),
              Map.entry("tools", new ParameterRules.Rule(TOOLS, "[]", ParameterRules::emptyArray)),
              Map.entry(
                  "top_logprobs",
                  ParameterRules.Rule.refused("Runnel does not return log probabilities")),
              Map.entry("top_p", ParameterRules.Rule.refused(GENERATION)),
              Map.entry(
                  "truncation",
                  ParameterRules.Rule.refused(
                      "Runnel trims a session's conversation by its own rule"))));

  static ResponsesRequest parse(JsonNode body, int promptMaxChars, ModelLimits limits) {
    RULES.check(body);
    String prompt = Validation.prompt(input(body.get("input")), promptMaxChars);
    limits.checkSystem(body.get("instructions"), "instructions");
    limits.checkMaxTokens(body.get("max_output_tokens"), "max_output_tokens", false);
    Optional<String> previous = text(body, "previous_response_id");
    boolean store = flag(body, "store", true);
    boolean background = flag(body, "background", false);
    if (background && !store) {
      throw new Validation.Invalid(
          "bad_background",
          "'background' needs 'store': a background response is read back with GET"
              + " /v1/responses/{id}",
          "background");
    }
    return new ResponsesRequest(
        text(body, "model").filter(m -> !m.isBlank()),
        prompt,
        previous,
        store,
        flag(body, "stream", false),
        background,
        text(body, "user").filter(u -> !u.isEmpty()));
  }

  private static String input(JsonNode input) {
    if (input == null || input.isNull()) {
      throw new Validation.Invalid("bad_input", "'input' is required", "input");
    }
    if (input.isTextual()) {
      return input.asText();
    }
    if (!input.isArray() || input.size() != 1) {
      throw new Validation.Invalid(
          "bad_input",
          "'input' must be a string or one user message: Runnel keeps the rest of the"
              + " conversation in the session (continue it with previous_response_id)",
          "input");
    }
    JsonNode item = input.get(0);
    String type = item.path("type").asText("message");
    if (!item.isObject() || !type.equals("message") || !"user".equals(item.path("role").asText())) {
      throw new Validation.Invalid(
          "bad_input", "the 'input' item must be a message with role user", "input");
    }
    JsonNode content = item.get("content");
    if (content != null && content.isTextual()) {
      return content.asText();
    }
    if (content == null || !content.isArray()) {
      throw new Validation.Invalid(
          "bad_input", "the message's 'content' must be a string or an array of parts", "input");
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if (!"input_text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
        throw new Validation.Invalid(
            "unsupported_parameter",
            "only input_text content parts are supported: Runnel sends text to the model",
            "input");
      }
      text.append(part.get("text").asText());
    }
    return text.toString();
  }

  private static Optional<String> text(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new Validation.Invalid("bad_" + field, "'" + field + "' must be a string", field);
    }
    return Optional.of(value.asText());
  }

  private static boolean flag(JsonNode body, String field, boolean absent) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return absent;
    }
    if (!value.isBoolean()) {
      throw new Validation.Invalid("bad_" + field, "'" + field + "' must be true or false", field);
    }
    return value.asBoolean();
  }
}
