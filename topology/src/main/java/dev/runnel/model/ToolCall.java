package dev.runnel.model;

import java.util.Objects;

/**
 * A tool call the model asked for, whole: its fragments merged.
 *
 * @param id the provider's id for the call, which the tool's result must name
 * @param name the tool's name
 * @param arguments the arguments as the JSON text the model wrote (not checked against the tool's
 *     schema; a model may write invalid JSON)
 */
public record ToolCall(String id, String name, String arguments) {
  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
  }
}
