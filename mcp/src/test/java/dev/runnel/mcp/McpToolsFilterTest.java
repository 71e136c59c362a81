package dev.runnel.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.ToolSpec;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tools a model can be offered. The reference server's tools all have names the providers
 * accept, so the filter is tested here on listed tools.
 */
class McpToolsFilterTest {
  private static final Map<String, Object> OBJECT = Map.of("type", "object");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A tool as a server lists it. */
  private static McpSchema.Tool tool(String name, Map<String, Object> schema) {
    return JSON.convertValue(
        Map.of("name", name, "description", "d", "inputSchema", schema), McpSchema.Tool.class);
  }

  @Test
  void leavesOutToolsTheModelWouldRefuseAndKeepsTheRest() {
    List<McpSchema.Tool> listed =
        List.of(
            tool("echo", OBJECT),
            tool("files.read", OBJECT),
            tool("has space", OBJECT),
            tool("x".repeat(65), OBJECT),
            tool("get-sum", OBJECT),
            tool("text_only", Map.of("type", "string")),
            tool("echo", OBJECT),
            tool("x".repeat(64), OBJECT));

    assertThat(McpTools.usable("MCP server test", listed))
        .extracting(ToolSpec::name)
        .containsExactly("echo", "get-sum", "x".repeat(64));
  }
}
