package dev.runnel.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.ToolSpec;
import dev.runnel.tool.Tool;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The tools of one MCP server, as an agent's {@link Tool}s, through the official MCP Java SDK:
 * connects, initializes and lists the server's tools; each tool's {@code call} is a {@code
 * tools/call}. Close it to end the session (and the server process, over stdio).
 */
public final class McpTools implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final McpJsonMapper MAPPER = new JacksonMcpJsonMapper(JSON);

  private final String server;
  private final McpSyncClient client;
  private final List<Tool> tools;

  private McpTools(String server, McpSyncClient client, List<Tool> tools) {
    this.server = server;
    this.client = client;
    this.tools = List.copyOf(tools);
  }

  /** A server run as a process that speaks MCP on its stdin and stdout. */
  public static Stdio stdio(String command, String... args) {
    return new Stdio(Objects.requireNonNull(command, "command"), List.of(args));
  }

  /** Settings of a stdio server. */
  public static final class Stdio {
    private final String command;
    private final List<String> args;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration initializationTimeout = Duration.ofSeconds(30);

    private Stdio(String command, List<String> args) {
      this.command = command;
      this.args = args;
    }

    /** An environment variable of the server process, beside the JVM's own. */
    public Stdio env(String name, String value) {
      env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** How long one call may take; 60 s unless set. */
    public Stdio requestTimeout(Duration timeout) {
      requestTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long starting and initializing the server may take; 30 s unless set. */
    public Stdio initializationTimeout(Duration timeout) {
      initializationTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Starts the server, initializes it and lists its tools.
     *
     * @throws McpException naming the command when it cannot be started or does not answer
     */
    public McpTools connect() {
      ServerParameters parameters = ServerParameters.builder(command).args(args).env(env).build();
      return McpTools.connect(
          "MCP server command '" + command + "'",
          new StdioClientTransport(parameters, MAPPER),
          requestTimeout,
          initializationTimeout);
    }
  }

  private static McpTools connect(
      String server, McpClientTransport transport, Duration request, Duration initialization) {
    McpSyncClient client =
        McpClient.sync(transport)
            .clientInfo(McpSchema.Implementation.builder("runnel", "0.1.0").build())
            .requestTimeout(request)
            .initializationTimeout(initialization)
            .build();
    try {
      client.initialize();
      List<Tool> tools = new ArrayList<>();
      String cursor = null;
      do {
        McpSchema.ListToolsResult page = client.listTools(cursor);
        for (McpSchema.Tool tool : page.tools()) {
          tools.add(new McpTool(server, client, spec(tool)));
        }
        cursor = page.nextCursor();
      } while (cursor != null);
      return new McpTools(server, client, tools);
    } catch (RuntimeException e) {
      client.close();
      throw new McpException(server + " did not start or answer: " + rootMessage(e), e);
    }
  }

  private static ToolSpec spec(McpSchema.Tool tool) {
    JsonNode schema = JSON.valueToTree(tool.inputSchema());
    return new ToolSpec(tool.name(), Objects.requireNonNullElse(tool.description(), ""), schema);
  }

  /** The server's tools, in the order it listed them. */
  public List<Tool> tools() {
    return tools;
  }

  /**
   * One of the server's tools.
   *
   * @throws McpException naming the tool and the server's tools when it has none of that name
   */
  public Tool tool(String name) {
    return tools.stream()
        .filter(t -> t.spec().name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new McpException(
                    server
                        + " has no tool named '"
                        + name
                        + "' (tools: "
                        + tools.stream().map(t -> t.spec().name()).collect(Collectors.joining(", "))
                        + ")",
                    null));
  }

  /** Ends the session; over stdio, stops the server process. */
  @Override
  public void close() {
    client.closeGracefully();
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private record McpTool(String server, McpSyncClient client, ToolSpec spec) implements Tool {
    @Override
    public String call(JsonNode arguments) {
      McpSchema.CallToolResult result;
      try {
        Map<String, Object> args = JSON.convertValue(arguments, MAPPER_TYPE);
        result =
            client.callTool(McpSchema.CallToolRequest.builder(spec.name()).arguments(args).build());
      } catch (RuntimeException e) {
        throw new McpException(
            "tool '" + spec.name() + "' on " + server + ": " + rootMessage(e), e);
      }
      String text = text(result.content());
      if (Boolean.TRUE.equals(result.isError())) {
        throw new McpException(text, null);
      }
      return text;
    }
  }

  private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>
      MAPPER_TYPE = new com.fasterxml.jackson.core.type.TypeReference<>() {};

  /**
   * Text blocks as they are; a text resource as its text; a link as its URI; binary content
   * (images, audio, blobs) as a short note, since the model reads text only.
   */
  static String text(List<McpSchema.Content> content) {
    List<String> parts = new ArrayList<>();
    for (McpSchema.Content block : content) {
      if (block instanceof McpSchema.TextContent t) {
        parts.add(t.text());
      } else if (block instanceof McpSchema.EmbeddedResource r
          && r.resource() instanceof McpSchema.TextResourceContents t) {
        parts.add(t.text());
      } else if (block instanceof McpSchema.ResourceLink link) {
        parts.add("resource " + link.uri());
      } else {
        parts.add("[" + block.type() + " content omitted]");
      }
    }
    return String.join("\n", parts);
  }
}
