package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The fields of an API's request body that Runnel honours, and for each other field it knows why it
 * is refused and which values ask for what Runnel does anyway (as {@link ChatParameters} does for
 * Chat Completions). A field set to null counts as absent; an unknown field is refused too.
 */
final class ParameterRules {
  /** Why a field is refused and which non-null values are accepted (null when none). */
  record Rule(String why, String accepted, Predicate<JsonNode> neutral) {
    static Rule refused(String why) {
      return new Rule(why, null, v -> false);
    }
  }

  private final String api;
  private final Set<String> honoured;
  private final Map<String, Rule> rules;

  ParameterRules(String api, Set<String> honoured, Map<String, Rule> rules) {
    this.api = api;
    this.honoured = Set.copyOf(honoured);
    this.rules = Map.copyOf(rules);
  }

  /**
   * Throws {@code unsupported_parameter} for the first field of {@code body} Runnel cannot honour.
   */
  void check(JsonNode body) {
    for (Map.Entry<String, JsonNode> field : body.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      if (value.isNull() || honoured.contains(name)) {
        continue;
      }
      Rule rule = rules.get(name);
      if (rule == null) {
        throw unsupported(name, "'" + name + "' is not " + api + " parameter Runnel knows", null);
      }
      if (!rule.neutral().test(value)) {
        throw unsupported(name, "'" + name + "' is not supported: " + rule.why(), rule.accepted());
      }
    }
  }

  static Validation.Invalid unsupported(String param, String message, String accepted) {
    return new Validation.Invalid(
        "unsupported_parameter",
        message + "; remove it or send null" + (accepted == null ? "" : " or " + accepted),
        param);
  }

  static boolean emptyArray(JsonNode value) {
    return value.isArray() && value.isEmpty();
  }

  static boolean emptyObject(JsonNode value) {
    return value.isObject() && value.isEmpty();
  }

  static boolean isFalse(JsonNode value) {
    return value.isBoolean() && !value.asBoolean();
  }
}
