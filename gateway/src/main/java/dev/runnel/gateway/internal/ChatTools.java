package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.schemas.PromptTool;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The client-side tools of a Chat Completions request: {@code tools} of type {@code function}, and
 * the {@code tool_choice} and {@code parallel_tool_calls} Runnel can honour. The client runs the
 * tools: a reply that calls one ends with {@code finish_reason: tool_calls}, and the client's next
 * request carries the results as {@code role: tool} messages. Anything else is refused naming the
 * field, down to the entry's key ({@code tools[1].type}).
 */
final class ChatTools {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final String NO_PROPERTIES = "{\"type\":\"object\",\"properties\":{}}";

  private ChatTools() {}

  /**
   * The tools offered to the model: none without {@code tools} or with {@code tool_choice: none}.
   */
  static List<PromptTool> parse(JsonNode body) {
    List<PromptTool> tools = tools(body.get("tools"));
    JsonNode choice = body.get("tool_choice");
    boolean none = false;
    if (choice != null && !choice.isNull()) {
      String value = choice.isTextual() ? choice.asText() : null;
      if ("none".equals(value)) {
        none = true;
      } else if (!"auto".equals(value)) {
        throw ParameterRules.unsupported(
            "tool_choice",
            "'tool_choice' is not supported: Runnel cannot make the model call a tool, or a given"
                + " one",
            "\"auto\" or \"none\"");
      }
    }
    JsonNode parallel = body.get("parallel_tool_calls");
    if (parallel != null && !parallel.isNull()) {
      if (!parallel.isBoolean()) {
        throw new Validation.Invalid(
            "bad_parallel_tool_calls",
            "'parallel_tool_calls' must be true or false",
            "parallel_tool_calls");
      }
      if (!parallel.asBoolean() && !tools.isEmpty() && !none) {
        throw ParameterRules.unsupported(
            "parallel_tool_calls",
            "'parallel_tool_calls' is not supported: Runnel cannot keep the model from asking for"
                + " several tools at once",
            "true");
      }
    }
    return none ? List.of() : tools;
  }

  private static List<PromptTool> tools(JsonNode tools) {
    if (tools == null || tools.isNull()) {
      return List.of();
    }
    if (!tools.isArray()) {
      throw new Validation.Invalid("bad_tools", "'tools' must be an array", "tools");
    }
    List<PromptTool> parsed = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < tools.size(); i++) {
      String at = "tools[" + i + "]";
      JsonNode tool = tools.get(i);
      if (!tool.isObject()) {
        throw new Validation.Invalid("bad_tools", "'" + at + "' must be an object", at);
      }
      JsonNode type = tool.get("type");
      if (type == null || !"function".equals(type.asText(null))) {
        throw ParameterRules.unsupported(
            at + ".type",
            "'" + at + ".type' is not supported: Runnel passes function tools only",
            "\"function\"");
      }
      for (Map.Entry<String, JsonNode> field : tool.properties()) {
        if (!field.getKey().equals("type") && !field.getKey().equals("function")) {
          throw ParameterRules.unsupported(
              at + "." + field.getKey(),
              "'" + at + "." + field.getKey() + "' is not a tool field Runnel knows",
              null);
        }
      }
      PromptTool parsedTool = function(tool.get("function"), at + ".function");
      if (!names.add(parsedTool.getName())) {
        throw new Validation.Invalid(
            "bad_tools",
            "'" + at + ".function.name': tool '" + parsedTool.getName() + "' is offered twice",
            at + ".function.name");
      }
      parsed.add(parsedTool);
    }
    return parsed;
  }

  private static PromptTool function(JsonNode function, String at) {
    if (function == null || !function.isObject()) {
      throw new Validation.Invalid("bad_tools", "'" + at + "' must be an object", at);
    }
    JsonNode name = function.get("name");
    if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
      throw new Validation.Invalid(
          "bad_tools",
          "'" + at + ".name' must be 1 to 64 letters, digits, '_' or '-'",
          at + ".name");
    }
    String description = "";
    String parameters = NO_PROPERTIES;
    for (Map.Entry<String, JsonNode> field : function.properties()) {
      String key = at + "." + field.getKey();
      JsonNode value = field.getValue();
      switch (field.getKey()) {
        case "name" -> {}
        case "description" -> {
          if (!value.isNull() && !value.isTextual()) {
            throw new Validation.Invalid("bad_tools", "'" + key + "' must be a string", key);
          }
          description = value.asText("");
        }
        case "parameters" -> {
          if (!value.isNull()) {
            if (!value.isObject() || !"object".equals(value.path("type").asText())) {
              throw new Validation.Invalid(
                  "bad_tools",
                  "'" + key + "' must be a JSON Schema object with \"type\": \"object\"",
                  key);
            }
            parameters = Json.write(value);
          }
        }
        case "strict" -> {
          if (!value.isNull() && !ParameterRules.isFalse(value)) {
            throw ParameterRules.unsupported(
                key,
                "'" + key + "' is not supported: Runnel cannot hold the model to the schema",
                "false");
          }
        }
        default ->
            throw ParameterRules.unsupported(
                key, "'" + key + "' is not a function field Runnel knows", null);
      }
    }
    return new PromptTool(name.asText(), description, parameters);
  }
}
