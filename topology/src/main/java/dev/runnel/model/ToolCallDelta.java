package dev.runnel.model;

import java.util.Objects;

/**
 * A fragment of a tool call as it streams, so that a UI can show "calling search(...)" while the
 * model writes it. Fragments with the same index belong to one call and come in order; the first
 * carries the call's id and name, each carries a piece of the arguments' JSON text (possibly
 * empty). {@link ChatCompletion#toolCalls()} holds the merged calls.
 *
 * @param index the call's position among this reply's tool calls, from 0
 * @param id the call's id on its first fragment, else null
 * @param name the tool's name on the call's first fragment, else null
 * @param arguments the next piece of the arguments' JSON text
 */
public record ToolCallDelta(int index, String id, String name, String arguments) {
  public ToolCallDelta {
    if (index < 0) {
      throw new IllegalArgumentException("tool call index must be >= 0, was " + index);
    }
    Objects.requireNonNull(arguments, "arguments");
  }
}
