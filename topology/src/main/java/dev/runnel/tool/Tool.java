package dev.runnel.tool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.model.ToolSpec;
import java.util.Objects;

/**
 * A tool the model may call: its name, description and JSON Schema parameters ({@link ToolSpec}),
 * and the code that answers a call. An in-process tool runs in the agent's tool step, on a thread
 * of its own (a virtual thread where the JVM has them), so it may block; it must be thread-safe,
 * since calls of several sessions run at once.
 */
public interface Tool {

  /** What the model is told about the tool. */
  ToolSpec spec();

  /**
   * Answers one call.
   *
   * @param arguments the arguments the model wrote, parsed (an object; not checked against the
   *     schema)
   * @return the result the model reads next, as text (often JSON)
   * @throws Exception when the call fails: the agent gives the model the error's message as the
   *     call's result, so that it can recover, and the run goes on
   */
  String call(JsonNode arguments) throws Exception;

  /** What answers a tool's calls. */
  @FunctionalInterface
  interface Handler {
    String call(JsonNode arguments) throws Exception;
  }

  /** A tool from its spec and a handler. */
  static Tool of(ToolSpec spec, Handler handler) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(handler, "handler");
    return new Tool() {
      @Override
      public ToolSpec spec() {
        return spec;
      }

      @Override
      public String call(JsonNode arguments) throws Exception {
        return handler.call(arguments);
      }
    };
  }
}
