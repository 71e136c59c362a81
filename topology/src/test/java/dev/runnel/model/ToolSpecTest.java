package dev.runnel.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolSpecTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aBadNameOrSchemaOrTwoToolsOfOneNameAreClearErrors() throws Exception {
    var schema = JSON.readTree("{\"type\":\"object\"}");
    assertThatThrownBy(() -> new ToolSpec("web search", "", schema))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'web search'");
    assertThatThrownBy(() -> new ToolSpec("search", "", JSON.readTree("{\"type\":\"string\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tool 'search'")
        .hasMessageContaining("{\"type\":\"string\"}");
    ToolSpec search = new ToolSpec("search", "", schema);
    assertThatThrownBy(() -> new ChatRequest("m", List.of(), 0, List.of(search, search)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two tools are named 'search'");
  }
}
