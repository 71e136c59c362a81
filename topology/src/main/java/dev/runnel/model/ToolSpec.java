package dev.runnel.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A tool the model may ask to call: its name, what it does, and its parameters as a JSON Schema
 * object. Sent with a request as OpenAI's {@code tools[].function} and Anthropic's {@code tools[]}.
 *
 * @param name 1 to 64 letters, digits, {@code _} or {@code -} (the rule both providers apply)
 * @param description what the tool does, for the model; may be empty
 * @param parameters a JSON Schema of type object describing the arguments
 */
public record ToolSpec(String name, String description, JsonNode parameters) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public ToolSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(parameters, "parameters");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "tool name '" + name + "' must be 1 to 64 letters, digits, '_' or '-'");
    }
    if (!parameters.isObject() || !"object".equals(parameters.path("type").asText())) {
      throw new IllegalArgumentException(
          "tool '"
              + name
              + "': parameters must be a JSON Schema with \"type\": \"object\", was "
              + parameters);
    }
  }
}
