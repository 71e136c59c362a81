package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What Runnel does with each field of an OpenAI Chat Completions request (the table in the gateway
 * README). A field Runnel cannot honour is refused with {@code unsupported_parameter} naming it,
 * never dropped: a caller who sends {@code temperature: 0} or {@code seed} must not get a reply
 * made without them. A field set to null counts as absent, and a field set to the value that asks
 * for exactly what Runnel does anyway ({@code n: 1}, {@code functions: []}) is accepted. The
 * client's tools are {@link ChatTools}'.
 */
final class ChatParameters {
  private static final Set<String> HONOURED =
      Set.of(
          "model",
          "messages",
          "stream",
          "stream_options",
          "user",
          "tools",
          "tool_choice",
          "parallel_tool_calls");

  private static final String GENERATION =
      "generation parameters do not reach the model yet, so Runnel cannot honour it";
  private static final String NOT_PASSED = "Runnel does not pass it to the model";
  private static final String FUNCTIONS =
      "Runnel takes the deprecated functions API as 'tools' and 'tool_choice' only";

  /** Why a field is refused and which non-null values are accepted (null when none). */
  private record Rule(String why, String accepted, Predicate<JsonNode> neutral) {
    static Rule refused(String why) {
      return new Rule(why, null, v -> false);
    }
  }

  private static final Map<String, Rule> RULES =
      Map.ofEntries(
          Map.entry("audio", Rule.refused("Runnel answers in text only")),
          Map.entry("frequency_penalty", Rule.refused(GENERATION)),
          Map.entry(
              "function_call", new Rule(FUNCTIONS, "\"none\"", v -> v.asText("").equals("none"))),
          Map.entry("functions", new Rule(FUNCTIONS, "[]", ChatParameters::emptyArray)),
          Map.entry("logit_bias", new Rule(GENERATION, "{}", ChatParameters::emptyObject)),
          Map.entry(
              "logprobs",
              new Rule("Runnel does not return log probabilities", "false", v -> isFalse(v))),
          Map.entry("max_completion_tokens", Rule.refused(GENERATION)),
          Map.entry("max_tokens", Rule.refused(GENERATION)),
          Map.entry(
              "metadata",
              new Rule(
                  "Runnel does not store completions for OpenAI's dashboard",
                  "{}",
                  ChatParameters::emptyObject)),
          Map.entry(
              "modalities",
              new Rule(
                  "Runnel answers in text only",
                  "[\"text\"]",
                  v -> v.isArray() && v.size() == 1 && v.get(0).asText("").equals("text"))),
          Map.entry(
              "n",
              new Rule(
                  "Runnel makes one choice per request",
                  "1",
                  v -> v.isIntegralNumber() && v.asLong() == 1)),
          Map.entry("prediction", Rule.refused("Runnel does not use predicted outputs")),
          Map.entry("presence_penalty", Rule.refused(GENERATION)),
          Map.entry("prompt_cache_key", Rule.refused(NOT_PASSED)),
          Map.entry("prompt_cache_retention", Rule.refused(NOT_PASSED)),
          Map.entry("reasoning_effort", Rule.refused(GENERATION)),
          Map.entry(
              "response_format",
              new Rule(
                  "Runnel does not constrain the reply's format yet",
                  "{\"type\":\"text\"}",
                  v -> v.isObject() && v.size() == 1 && v.path("type").asText("").equals("text"))),
          Map.entry(
              "safety_identifier",
              Rule.refused("Runnel does not pass it to the model; 'user' is recorded instead")),
          Map.entry("seed", Rule.refused(GENERATION)),
          Map.entry("service_tier", Rule.refused(NOT_PASSED)),
          Map.entry("stop", new Rule(GENERATION, "[]", ChatParameters::emptyArray)),
          Map.entry(
              "store",
              new Rule(
                  "Runnel keeps the conversation in its session, not as a stored completion",
                  "false",
                  v -> isFalse(v))),
          Map.entry("temperature", Rule.refused(GENERATION)),
          Map.entry("top_logprobs", Rule.refused("Runnel does not return log probabilities")),
          Map.entry("top_p", Rule.refused(GENERATION)),
          Map.entry("verbosity", Rule.refused(GENERATION)),
          Map.entry("web_search_options", Rule.refused("Runnel does not search the web")));

  private ChatParameters() {}

  /**
   * Throws {@code unsupported_parameter} for the first field of {@code body} Runnel cannot honour.
   */
  static void check(JsonNode body) {
    for (Map.Entry<String, JsonNode> field : body.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      if (value.isNull() || HONOURED.contains(name)) {
        continue;
      }
      Rule rule = RULES.get(name);
      if (rule == null) {
        throw unsupported(
            name, "'" + name + "' is not a Chat Completions parameter Runnel knows", null);
      }
      if (!rule.neutral().test(value)) {
        throw unsupported(name, "'" + name + "' is not supported: " + rule.why(), rule.accepted());
      }
    }
    streamOptions(body.get("stream_options"));
  }

  private static void streamOptions(JsonNode options) {
    if (options == null || options.isNull()) {
      return;
    }
    if (!options.isObject()) {
      throw new Validation.Invalid(
          "bad_stream_options", "'stream_options' must be an object", "stream_options");
    }
    for (Map.Entry<String, JsonNode> field : options.properties()) {
      String name = "stream_options." + field.getKey();
      JsonNode value = field.getValue();
      switch (field.getKey()) {
        case "include_usage" -> {
          if (!value.isNull() && !value.isBoolean()) {
            throw new Validation.Invalid(
                "bad_stream_options", "'" + name + "' must be true or false", name);
          }
        }
        case "include_obfuscation" -> {
          if (!value.isNull() && !isFalse(value)) {
            throw unsupported(
                name, "'" + name + "' is not supported: Runnel does not pad its chunks", "false");
          }
        }
        default -> {
          if (!value.isNull()) {
            throw unsupported(name, "'" + name + "' is not a stream option Runnel knows", null);
          }
        }
      }
    }
  }

  private static Validation.Invalid unsupported(String param, String message, String accepted) {
    return new Validation.Invalid(
        "unsupported_parameter",
        message + "; remove it or send null" + (accepted == null ? "" : " or " + accepted),
        param);
  }

  private static boolean emptyArray(JsonNode value) {
    return value.isArray() && value.isEmpty();
  }

  private static boolean emptyObject(JsonNode value) {
    return value.isObject() && value.isEmpty();
  }

  private static boolean isFalse(JsonNode value) {
    return value.isBoolean() && !value.asBoolean();
  }
}
