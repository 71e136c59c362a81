package dev.runnel.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.ToolSpec;
import dev.runnel.tool.Tool;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools of one MCP server, as an agent's {@link Tool}s, through the official MCP Java SDK:
 * connects, initializes and lists the server's tools; each tool's {@code call} is a {@code
 * tools/call}, made on the calling thread (the agent's tools step), which it blocks until the
 * server answers or the request timeout passes. Close it to end the session (and the server
 * process, over stdio).
 *
 * <p>The values it is given in confidence (the stdio server's environment, HTTP header values, a
 * URL's user info) never appear in its exceptions or log lines: they are cut out as {@code ***}.
 */
public final class McpTools implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(McpTools.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final McpJsonMapper MAPPER = new JacksonMcpJsonMapper(JSON);
  private static final TypeReference<Map<String, Object>> ARGUMENTS = new TypeReference<>() {};
  private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration DEFAULT_INITIALIZATION_TIMEOUT = Duration.ofSeconds(30);
  private static final int STDERR_LINES = 10;

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

  /**
   * A server that speaks MCP's streamable HTTP transport at {@code endpoint}, e.g. {@code
   * http://127.0.0.1:3001/mcp}. User info in the URL ({@code https://user:password@host/mcp}) is
   * sent as HTTP basic authentication, unless an {@code Authorization} header is set.
   *
   * @throws IllegalArgumentException when {@code endpoint} is not an absolute http or https URL
   *     with a host
   */
  public static StreamableHttp streamableHttp(URI endpoint) {
    return new StreamableHttp(Objects.requireNonNull(endpoint, "endpoint"));
  }

  /** Settings of a stdio server. */
  public static final class Stdio {
    private final String command;
    private final List<String> args;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration initializationTimeout = DEFAULT_INITIALIZATION_TIMEOUT;

    private Stdio(String command, List<String> args) {
      this.command = command;
      this.args = args;
    }

    /**
     * An environment variable of the server process, beside the JVM's own: the place for the
     * server's credentials (rather than its arguments), since its values are cut out of every
     * message.
     */
    public Stdio env(String name, String value) {
      env.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** How long one call may take; 60 s unless set. */
    public Stdio requestTimeout(Duration timeout) {
      requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** How long starting and initializing the server may take; 30 s unless set. */
    public Stdio initializationTimeout(Duration timeout) {
      initializationTimeout = positive(timeout, "initializationTimeout");
      return this;
    }

    /**
     * Starts the server, initializes it and lists its tools.
     *
     * @throws McpException naming the command when it is not found, cannot be started or does not
     *     answer, with the last lines the server wrote to its stderr
     */
    public McpTools connect() {
      String server = "MCP server command '" + command + "'";
      Secrets secrets = new Secrets(env.values());
      if (!executable(command)) {
        throw new McpException(server + " is not an executable file or on the PATH", null);
      }
      ServerParameters parameters = ServerParameters.builder(command).args(args).env(env).build();
      StdioClientTransport transport = new StdioClientTransport(parameters, MAPPER);
      Deque<String> stderr = new ArrayDeque<>();
      transport.setStdErrorHandler(
          line -> {
            String redacted = secrets.redact(line);
            LOG.debug("{} stderr: {}", server, redacted);
            synchronized (stderr) {
              stderr.addLast(redacted);
              if (stderr.size() > STDERR_LINES) {
                stderr.removeFirst();
              }
            }
          });
      Supplier<String> details =
          () -> {
            synchronized (stderr) {
              return stderr.isEmpty()
                  ? ""
                  : "; the last lines of its stderr:\n" + String.join("\n", stderr);
            }
          };
      return McpTools.connect(
          server, transport, requestTimeout, initializationTimeout, secrets, details);
    }
  }

  /** Settings of a streamable HTTP server. */
  public static final class StreamableHttp {
    private final URI base;
    private final String endpoint;
    private final String server;
    private final List<String> secrets = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration initializationTimeout = DEFAULT_INITIALIZATION_TIMEOUT;

    private StreamableHttp(URI uri) {
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!uri.isAbsolute()
          || !(scheme.equals("http") || scheme.equals("https"))
          || uri.getHost() == null) {
        // Not the URL itself: it may hold credentials.
        throw new IllegalArgumentException(
            "an MCP endpoint must be an absolute http or https URL with a host, was one with"
                + " scheme '"
                + scheme
                + "' and host '"
                + uri.getHost()
                + "'");
      }
      try {
        this.base = new URI(scheme, null, uri.getHost(), uri.getPort(), null, null, null);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("an MCP endpoint with an invalid host", e);
      }
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      this.endpoint = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
      this.server = "MCP server " + base + path;
      if (uri.getRawQuery() != null) {
        secrets.add(uri.getRawQuery());
      }
      if (uri.getUserInfo() != null) {
        String userInfo = uri.getUserInfo();
        secrets.add(uri.getRawUserInfo());
        secrets.add(userInfo);
        int colon = userInfo.indexOf(':');
        if (colon >= 0) {
          secrets.add(userInfo.substring(colon + 1));
        }
        String basic =
            Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        secrets.add(basic);
        headers.put("Authorization", "Basic " + basic);
      }
    }

    /**
     * A header sent with every request, e.g. {@code X-Api-Key}; its value is cut out of every
     * message. Read the value from where your secrets live (an environment variable, a file).
     */
    public StreamableHttp header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.isBlank()) {
        throw new IllegalArgumentException("a header name must not be blank");
      }
      headers.keySet().removeIf(n -> n.equalsIgnoreCase(name));
      headers.put(name, value);
      secrets.add(value);
      return this;
    }

    /** The header {@code Authorization: Bearer <token>}. */
    public StreamableHttp bearerToken(String token) {
      secrets.add(Objects.requireNonNull(token, "token"));
      return header("Authorization", "Bearer " + token);
    }

    /** How long one call may take; 60 s unless set. */
    public StreamableHttp requestTimeout(Duration timeout) {
      requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** How long connecting and initializing may take; 30 s unless set. */
    public StreamableHttp initializationTimeout(Duration timeout) {
      initializationTimeout = positive(timeout, "initializationTimeout");
      return this;
    }

    /**
     * Connects, initializes the session and lists the server's tools.
     *
     * @throws McpException naming the server (its URL without user info or query) when it cannot be
     *     reached or does not answer
     */
    public McpTools connect() {
      Map<String, String> sent = Map.copyOf(headers);
      HttpClientStreamableHttpTransport transport =
          HttpClientStreamableHttpTransport.builder(base.toString())
              .endpoint(endpoint)
              .jsonMapper(MAPPER)
              .addHttpRequestCustomizer(
                  (request, method, uri, body, context) -> sent.forEach(request::setHeader))
              .build();
      return McpTools.connect(
          server, transport, requestTimeout, initializationTimeout, new Secrets(secrets), () -> "");
    }
  }

  private static McpTools connect(
      String server,
      McpClientTransport transport,
      Duration request,
      Duration initialization,
      Secrets secrets,
      Supplier<String> details) {
    McpSyncClient client =
        McpClient.sync(transport)
            .clientInfo(McpSchema.Implementation.builder("runnel", "0.1.0").build())
            .requestTimeout(request)
            .initializationTimeout(initialization)
            .build();
    try {
      client.initialize();
      List<McpSchema.Tool> listed = new ArrayList<>();
      String cursor = null;
      do {
        McpSchema.ListToolsResult page = client.listTools(cursor);
        listed.addAll(page.tools());
        cursor = page.nextCursor();
      } while (cursor != null);
      List<Tool> tools = new ArrayList<>();
      for (ToolSpec spec : usable(server, listed)) {
        tools.add(new McpTool(server, client, spec, request, secrets));
      }
      return new McpTools(server, client, tools);
    } catch (RuntimeException e) {
      client.close();
      String why =
          causedBy(e, TimeoutException.class)
              ? "did not answer within " + initialization + " (initializationTimeout)"
              : "did not start or answer: " + secrets.redact(rootMessage(e));
      throw new McpException(server + " " + why + details.get(), secrets.redactedCopy(e));
    }
  }

  /**
   * The specs of the tools a model can be offered, in the order listed; a tool whose name a
   * provider would refuse (not 1 to 64 letters, digits, {@code _} or {@code -}), whose parameters
   * are not an object schema, or whose name an earlier tool has, is left out with a warning naming
   * it, so that one odd tool does not cost the others.
   */
  static List<ToolSpec> usable(String server, List<McpSchema.Tool> listed) {
    List<ToolSpec> specs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (McpSchema.Tool tool : listed) {
      ToolSpec spec;
      try {
        spec =
            new ToolSpec(
                tool.name(),
                Objects.requireNonNullElse(tool.description(), ""),
                JSON.valueToTree(tool.inputSchema()));
      } catch (IllegalArgumentException | NullPointerException e) {
        LOG.warn("{}: skipping tool '{}': {}", server, tool.name(), e.getMessage());
        continue;
      }
      if (!names.add(spec.name())) {
        LOG.warn("{}: skipping a second tool named '{}'", server, spec.name());
        continue;
      }
      specs.add(spec);
    }
    return specs;
  }

  /** The server's tools, in the order it listed them, without those {@link #usable} left out. */
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

  private static Duration positive(Duration timeout, String name) {
    Objects.requireNonNull(timeout, name);
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + timeout);
    }
    return timeout;
  }

  /** Whether the process builder will find {@code command}: a path, or a name on the PATH. */
  private static boolean executable(String command) {
    try {
      if (command.contains("/") || command.contains(File.separator)) {
        return Files.isExecutable(Path.of(command));
      }
      String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
      List<String> suffixes = new ArrayList<>(List.of(""));
      if (File.separatorChar == '\\') {
        String pathext = Objects.requireNonNullElse(System.getenv("PATHEXT"), ".EXE;.CMD;.BAT");
        suffixes.addAll(List.of(pathext.split(";")));
      }
      return Stream.of(path.split(File.pathSeparator))
          .filter(dir -> !dir.isEmpty())
          .flatMap(dir -> suffixes.stream().map(s -> Path.of(dir, command + s)))
          .anyMatch(p -> Files.isRegularFile(p) && Files.isExecutable(p));
    } catch (InvalidPathException e) {
      return false;
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private record McpTool(
      String server, McpSyncClient client, ToolSpec spec, Duration timeout, Secrets secrets)
      implements Tool {
    @Override
    public String call(JsonNode arguments) throws InterruptedException {
      McpSchema.CallToolResult result;
      try {
        Map<String, Object> args = JSON.convertValue(arguments, ARGUMENTS);
        result =
            client.callTool(McpSchema.CallToolRequest.builder(spec.name()).arguments(args).build());
      } catch (RuntimeException e) {
        String call = "tool '" + spec.name() + "' on " + server;
        if (Thread.currentThread().isInterrupted() || causedBy(e, InterruptedException.class)) {
          // A cancelled run: end the tools step as cancelled, not as a failed call.
          throw new InterruptedException("the call of " + call + " was interrupted");
        }
        String why =
            causedBy(e, TimeoutException.class)
                ? " did not answer within " + timeout + " (requestTimeout)"
                : " failed: " + secrets.redact(rootMessage(e));
        throw new McpException(call + why, secrets.redactedCopy(e));
      }
      String text = text(result.content());
      if (Boolean.TRUE.equals(result.isError())) {
        throw new McpException(secrets.redact(text), null);
      }
      return text;
    }
  }

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
