package dev.runnel.processor.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.ToolSpec;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.PromptTool;
import dev.runnel.schemas.PromptToolResult;
import dev.runnel.tool.ClientResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The tools a prompt's sender offers ({@code Prompt.tools}) and its results for their calls ({@code
 * Prompt.toolResults}), as the run's input carries them. A prompt is checked when it is accepted,
 * so that a malformed one goes to the dead letters rather than failing its run later.
 */
final class ClientTools {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ClientTools() {}

  /** Throws, naming what is wrong, unless the prompt's tools and tool results are well formed. */
  static void check(Prompt prompt) {
    Set<String> names = new HashSet<>();
    for (ToolSpec tool : specs(prompt)) {
      if (!names.add(tool.name())) {
        throw new IllegalArgumentException("the prompt offers tool '" + tool.name() + "' twice");
      }
    }
    Set<String> callIds = new HashSet<>();
    for (PromptToolResult result : toolResults(prompt)) {
      if (result.getCallId().isBlank()) {
        throw new IllegalArgumentException("a tool result names no call (its callId is blank)");
      }
      if (!callIds.add(result.getCallId())) {
        throw new IllegalArgumentException(
            "the prompt answers call '" + result.getCallId() + "' twice");
      }
    }
  }

  /** The prompt's tools; throws {@link IllegalArgumentException} naming a malformed one. */
  static List<ToolSpec> specs(Prompt prompt) {
    List<ToolSpec> specs = new ArrayList<>();
    for (PromptTool tool : prompt.getTools() == null ? List.<PromptTool>of() : prompt.getTools()) {
      JsonNode parameters;
      try {
        parameters = JSON.readTree(tool.getParameters());
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(
            "the parameters of tool '" + tool.getName() + "' are not JSON text");
      }
      specs.add(new ToolSpec(tool.getName(), tool.getDescription(), parameters));
    }
    return specs;
  }

  /** The prompt's tool results; none when the field is null. */
  static List<PromptToolResult> toolResults(Prompt prompt) {
    return prompt.getToolResults() == null ? List.of() : prompt.getToolResults();
  }

  static List<ClientResult> results(Prompt prompt) {
    return toolResults(prompt).stream()
        .map(r -> new ClientResult(r.getCallId(), r.getContent()))
        .toList();
  }
}
