package dev.runnel.app.it;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.runnel.agent.Agent;
import dev.runnel.app.ApplicationProvider;
import dev.runnel.app.ChatModels;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ToolSpec;
import dev.runnel.tool.Tool;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * The built-in agent with one in-process tool, {@code clock}, and one remote tool, {@code lookup},
 * answered by a Kafka service, for tests that run an instance from settings ({@code runnel.actions}
 * names this class).
 */
public final class RemoteToolAgentProvider implements ApplicationProvider {
  static final String CLOCK_TIME = "12:00 UTC";
  static final String LOOKUP = "lookup";

  @Override
  public String name() {
    return "remote-tool-agent";
  }

  @Override
  public Application create(RunnelConfig config) {
    Tool clock =
        Tool.of(
            new ToolSpec(
                "clock",
                "The time now",
                JsonNodeFactory.instance.objectNode().put("type", "object")),
            arguments -> CLOCK_TIME);
    return Agent.builder(name(), ChatModels.create(config))
        .tool(clock)
        .remoteTool(
            new ToolSpec(
                LOOKUP,
                "Looks a name up",
                json(
                    "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
                        + "\"required\":[\"name\"]}")),
            Duration.ofMinutes(2))
        .build();
  }

  private static JsonNode json(String text) {
    try {
      return new ObjectMapper().readTree(text);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
