package dev.runnel.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated model server that speaks the OpenAI Chat Completions streaming format ({@code POST
 * /v1/chat/completions} or {@code /chat/completions}) and the Anthropic Messages streaming format
 * ({@code POST /v1/messages}), in-process or as a command ({@link #main}). It is Runnel's embedded
 * default model and its clients' test peer.
 *
 * <p>Replies are deterministic: {@link SimulatedReplies#reply(String, int)} of the last user
 * message, with Chinese and emoji. Time to first token, tokens per second and reply length come
 * from {@link SimulatorSettings}; a request's {@code max_tokens} below the reply length cuts it
 * with finish reason length. The server runs on Netty's event loops (two worker threads): an open
 * stream is a scheduled task, not a thread, so thousands of streams cost no threads.
 *
 * <p><b>Per-request options</b> are {@code key=value} pairs (separated by {@code ;}, {@code ,} or
 * spaces) taken from, later overriding earlier: a {@code [[sim ...]]} directive in the last user
 * message (usable through Kafka, where no header can be set), the {@code X-Runnel-Sim} request
 * header, and the next entry of {@link #enqueue} (a queue consumed one entry per request). Keys:
 *
 * <ul>
 *   <li>{@code fault}: {@code rate_limit} (429, Retry-After from {@code retry_after}), {@code
 *       server_error} (500), {@code unavailable} (503), {@code overloaded} (529 with {@code
 *       overloaded_error}), {@code bad_request} (400), {@code unauthorized} (401), {@code quota}
 *       (429 with {@code insufficient_quota}), {@code refuse} (closes the connection without a
 *       response), and, after {@code after} tokens (default 3): {@code reset} (TCP reset), {@code
 *       stall} (stops sending, keeps the connection open), {@code truncate} (ends the response
 *       without the final event), {@code malformed} (an event with broken JSON), {@code
 *       error_event} (an error event of type {@code error_type}, default {@code server_error} /
 *       {@code api_error}).
 *   <li>{@code ttft_ms}, {@code tps}, {@code tokens}: override the settings; {@code duration_ms}
 *       spreads the reply over that time (a 30 s reply: {@code duration_ms=30000}).
 *   <li>{@code split=N}: writes the body N bytes at a time, each its own HTTP chunk, so multi-byte
 *       characters arrive split across reads.
 *   <li>{@code tool=NAME} (several: {@code tool=a+b}): after the reply's tokens ({@code tokens=0}
 *       for none) the reply asks for these tools, each one the request offers, their arguments
 *       streamed in pieces, with finish reason {@code tool_calls} / {@code tool_use}; not when the
 *       last message is a tool's result, which gets a text reply. Rounds one after the other:
 *       {@code tool=a>b} asks for {@code a}, after its result for {@code b}, then replies with
 *       text.
 *   <li>{@code wire=varied}: CRLF line ends, {@code data:} without space, comments, JSON split over
 *       two data lines, and (Anthropic) an unknown event type.
 * </ul>
 *
 * <p>Every request is recorded ({@link #requests()}) with whether its response finished and whether
 * the client disconnected early. {@link #pauseFirstTokens()} holds every stream before its first
 * token until {@link #resumeFirstTokens()}, so a test can have many streams open at once. {@link
 * #observeTokens} tells a benchmark in the same JVM when each token went out.
 */
public final class SimulatedModelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedModelServer.class);

  /** Request header carrying per-request options. */
  public static final String OPTIONS_HEADER = "X-Runnel-Sim";

  private final SimulatorSettings settings;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Channel serverChannel;
  private final Queue<String> queued = new ConcurrentLinkedQueue<>();
  private final Queue<RecordedRequest> requests = new ConcurrentLinkedQueue<>();
  private final AtomicInteger openStreams = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Stream> waitingForResume = new ArrayList<>();
  private boolean paused;
  private volatile TokenObserver tokenObserver = TokenObserver.NONE;

  private SimulatedModelServer(SimulatorSettings settings) throws InterruptedException {
    this.settings = settings;
    this.boss = new NioEventLoopGroup(1, new DefaultThreadFactory("runnel-sim-accept", true));
    this.workers = new NioEventLoopGroup(2, new DefaultThreadFactory("runnel-sim-io", true));
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(4 * 1024 * 1024))
                        .addLast(new Handler());
                  }
                });
    try {
      this.serverChannel =
          bootstrap.bind(new InetSocketAddress(settings.host(), settings.port())).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /** Starts a server; it listens when this returns. */
  public static SimulatedModelServer start(SimulatorSettings settings) {
    try {
      return new SimulatedModelServer(settings);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the simulator", e);
    }
  }

  /** Starts a server with the defaults on a free loopback port. */
  public static SimulatedModelServer start() {
    return start(SimulatorSettings.DEFAULTS);
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Base URL for an OpenAI-compatible client (with the {@code /v1} path). */
  public String openAiBaseUrl() {
    return "http://" + settings.host() + ":" + port() + "/v1";
  }

  /** Base URL for an Anthropic client (without the version path). */
  public String anthropicBaseUrl() {
    return "http://" + settings.host() + ":" + port();
  }

  public SimulatorSettings settings() {
    return settings;
  }

  /** Options for the next request that arrives (one entry per request, in order). */
  public void enqueue(String options) {
    SimOptions.parse(options);
    queued.add(options);
  }

  /** Every request received so far, in arrival order. */
  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** Streams whose headers were sent and whose response has not ended. */
  public int openStreams() {
    return openStreams.get();
  }

  /** Hears every token sent from now on (replacing the previous observer); for benchmarks. */
  public void observeTokens(TokenObserver observer) {
    this.tokenObserver = Objects.requireNonNull(observer, "observer");
  }

  /** Holds every stream before its first token until {@link #resumeFirstTokens()}. */
  public synchronized void pauseFirstTokens() {
    paused = true;
  }

  /** Lets held streams go on. */
  public void resumeFirstTokens() {
    List<Stream> held;
    synchronized (this) {
      paused = false;
      held = new ArrayList<>(waitingForResume);
      waitingForResume.clear();
    }
    for (Stream s : held) {
      s.ctx.executor().execute(s::sendNext);
    }
  }

  private synchronized boolean holdIfPaused(Stream s) {
    if (paused) {
      waitingForResume.add(s);
    }
    return paused;
  }

  /**
   * Stops listening, then the event loops. Idempotent: a process's shutdown hook and its main
   * thread may both close the server, and a second close after the loops ended must not touch the
   * channel (its close would be handed to a terminated loop).
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    serverChannel.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String path = request.uri().split("\\?", 2)[0];
      String body = request.content().toString(StandardCharsets.UTF_8);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Map.Entry<String, String> h : request.headers()) {
        headers
            .computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(h.getValue());
      }
      SimWire.Format format;
      if (path.equals("/v1/chat/completions") || path.equals("/chat/completions")) {
        format = SimWire.Format.OPENAI;
      } else if (path.equals("/v1/messages")) {
        format = SimWire.Format.ANTHROPIC;
      } else {
        record(request, path, headers, body, "");
        respond(ctx, HttpResponseStatus.NOT_FOUND, "{\"error\":{\"message\":\"no such path\"}}");
        return;
      }
      JsonNode json;
      try {
        json = SimWire.JSON.readTree(body);
      } catch (IOException e) {
        json = null;
      }
      if (json == null || !json.isObject() || request.method() != HttpMethod.POST) {
        record(request, path, headers, body, "");
        respond(ctx, HttpResponseStatus.BAD_REQUEST, errorJson(format, "invalid request body"));
        return;
      }
      String prompt = lastUserMessage(json);
      RecordedRequest recorded = record(request, path, headers, body, prompt);
      SimOptions options = new SimOptions();
      try {
        options.merge(SimOptions.directiveIn(prompt));
        options.merge(request.headers().get(OPTIONS_HEADER));
        options.merge(queued.poll());
      } catch (IllegalArgumentException e) {
        respond(ctx, HttpResponseStatus.BAD_REQUEST, errorJson(format, e.getMessage()));
        recorded.markFinished();
        return;
      }
      if (!json.path("stream").asBoolean(false)) {
        respond(
            ctx,
            HttpResponseStatus.BAD_REQUEST,
            errorJson(format, "the simulator only streams: set stream to true"));
        recorded.markFinished();
        return;
      }
      List<SimWire.ToolAsk> toolAsks;
      try {
        checkToolTurns(format, json.path("messages"));
        toolAsks = toolAsks(options, format, json, prompt, ids.incrementAndGet());
      } catch (IllegalArgumentException e) {
        respond(ctx, HttpResponseStatus.BAD_REQUEST, errorJson(format, e.getMessage()));
        recorded.markFinished();
        return;
      }
      String model = json.path("model").asText("runnel-sim");
      SimWire wire =
          new SimWire(
              format,
              "varied".equals(options.string("wire", "")),
              "sim-" + ids.incrementAndGet(),
              model);
      if (!failBeforeStream(ctx, options, wire, recorded)) {
        new Stream(ctx, recorded, options, wire, json, toolAsks).begin();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A client that resets its connection is normal here (cancellations, timeouts).
      LOG.debug("Simulator connection error", cause);
      ctx.close();
    }

    private RecordedRequest record(
        FullHttpRequest request,
        String path,
        Map<String, List<String>> headers,
        String body,
        String prompt) {
      RecordedRequest r = new RecordedRequest(request.method().name(), path, headers, body, prompt);
      requests.add(r);
      return r;
    }
  }

  /**
   * The tool calls that option {@code tool} asks for ({@code tool=search}, several as {@code
   * tool=search+weather}), each one of the request's tools; in rounds ({@code tool=clock>search}),
   * the round that as many tool rounds as the conversation holds since the prompt lead to; none
   * once every round was answered, so that the model answers with text, as an agent loop expects.
   * Each call's arguments give every string property of the tool's parameters the prompt's text.
   */
  private static List<SimWire.ToolAsk> toolAsks(
      SimOptions options, SimWire.Format format, JsonNode json, String prompt, long id) {
    String[] rounds = options.string("tool", "").split(">");
    int round = roundsAnswered(json);
    if (!options.has("tool") || round >= rounds.length) {
      return List.of();
    }
    Map<String, JsonNode> offered = new LinkedHashMap<>();
    for (JsonNode tool : json.path("tools")) {
      if (format == SimWire.Format.OPENAI) {
        offered.put(
            tool.path("function").path("name").asText(), tool.path("function").path("parameters"));
      } else {
        offered.put(tool.path("name").asText(), tool.path("input_schema"));
      }
    }
    String text = SimOptions.PROMPT_DIRECTIVE.matcher(prompt).replaceAll("").strip();
    List<SimWire.ToolAsk> asks = new ArrayList<>();
    for (String name : rounds[round].split("\\+")) {
      JsonNode schema = offered.get(name);
      if (schema == null) {
        throw new IllegalArgumentException(
            "simulator option tool="
                + name
                + ": the request offers no tool of that name; it offers "
                + offered.keySet());
      }
      ObjectNode arguments = SimWire.JSON.createObjectNode();
      for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
        if ("string".equals(property.getValue().path("type").asText())) {
          arguments.put(property.getKey(), text);
        }
      }
      String prefix = format == SimWire.Format.OPENAI ? "call_" : "toolu_";
      asks.add(new SimWire.ToolAsk(prefix + id + "_" + asks.size(), name, arguments.toString()));
    }
    return asks;
  }

  /**
   * Refuses a conversation the provider would refuse: every tool call of an assistant message must
   * be answered right after it (OpenAI: one {@code role: tool} message per {@code tool_call_id};
   * Anthropic: one {@code tool_result} block per {@code tool_use} id in the next user message), and
   * no tool result may answer a call that was not asked for.
   */
  private static void checkToolTurns(SimWire.Format format, JsonNode messages) {
    Set<String> open = new LinkedHashSet<>();
    for (JsonNode message : messages) {
      String role = message.path("role").asText();
      Set<String> answered = new LinkedHashSet<>();
      Set<String> asked = new LinkedHashSet<>();
      if (format == SimWire.Format.OPENAI) {
        if ("tool".equals(role)) {
          answered.add(message.path("tool_call_id").asText());
        }
        for (JsonNode call : message.path("tool_calls")) {
          asked.add(call.path("id").asText());
        }
      } else {
        for (JsonNode block : message.path("content")) {
          String type = block.path("type").asText();
          if ("tool_result".equals(type)) {
            answered.add(block.path("tool_use_id").asText());
          } else if ("tool_use".equals(type)) {
            asked.add(block.path("id").asText());
          }
        }
      }
      if (format == SimWire.Format.OPENAI && !"tool".equals(role) && !open.isEmpty()) {
        throw unanswered(open);
      }
      for (String id : answered) {
        if (!open.remove(id)) {
          throw new IllegalArgumentException(
              "a tool result answers call '" + id + "', which the message before did not ask for");
        }
      }
      if (format == SimWire.Format.ANTHROPIC && !open.isEmpty()) {
        throw unanswered(open);
      }
      open.addAll(asked);
    }
  }

  private static IllegalArgumentException unanswered(Set<String> calls) {
    return new IllegalArgumentException(
        "tool calls " + calls + " are not answered right after the message that asked for them");
  }

  /**
   * How many tool rounds were answered since the user's prompt: the assistant messages after the
   * last user message that is not a tool's result (OpenAI's role tool, Anthropic's block).
   */
  private static int roundsAnswered(JsonNode json) {
    int rounds = 0;
    for (JsonNode message : json.path("messages")) {
      String role = message.path("role").asText();
      if ("assistant".equals(role)) {
        rounds++;
      } else if ("user".equals(role) && !carriesToolResult(message)) {
        rounds = 0;
      }
    }
    return rounds;
  }

  private static boolean carriesToolResult(JsonNode message) {
    for (JsonNode block : message.path("content")) {
      if ("tool_result".equals(block.path("type").asText())) {
        return true;
      }
    }
    return false;
  }

  private static String lastUserMessage(JsonNode json) {
    String prompt = "";
    for (JsonNode m : json.path("messages")) {
      if ("user".equals(m.path("role").asText())) {
        JsonNode content = m.path("content");
        if (content.isTextual()) {
          prompt = content.asText();
        } else {
          StringBuilder sb = new StringBuilder();
          for (JsonNode part : content) {
            sb.append(part.path("text").asText(""));
          }
          prompt = sb.toString();
        }
      }
    }
    return prompt;
  }

  private static String errorJson(SimWire.Format format, String message) {
    return new SimWire(format, false, "", "").errorBody("invalid_request_error", null, message);
  }

  private static boolean failBeforeStream(
      ChannelHandlerContext ctx, SimOptions options, SimWire wire, RecordedRequest recorded) {
    String retryAfter = options.has("retry_after") ? options.string("retry_after", "") : null;
    FullHttpResponse response;
    switch (options.fault()) {
      case "rate_limit" ->
          response =
              errorResponse(
                  HttpResponseStatus.TOO_MANY_REQUESTS,
                  wire.errorBody(
                      "rate_limit_error", "rate_limit_exceeded", "simulated rate limit"));
      case "quota" ->
          response =
              errorResponse(
                  HttpResponseStatus.TOO_MANY_REQUESTS,
                  wire.errorBody(
                      "insufficient_quota", "insufficient_quota", "simulated exhausted quota"));
      case "server_error" ->
          response =
              errorResponse(
                  HttpResponseStatus.INTERNAL_SERVER_ERROR,
                  wire.errorBody(wire.defaultErrorType(), null, "simulated server error"));
      case "unavailable" ->
          response =
              errorResponse(
                  HttpResponseStatus.SERVICE_UNAVAILABLE,
                  wire.errorBody(wire.defaultErrorType(), null, "simulated unavailability"));
      case "overloaded" ->
          response =
              errorResponse(
                  HttpResponseStatus.valueOf(529, "Overloaded"),
                  wire.errorBody("overloaded_error", null, "simulated overload"));
      case "bad_request" ->
          response =
              errorResponse(
                  HttpResponseStatus.BAD_REQUEST,
                  wire.errorBody("invalid_request_error", null, "simulated bad request"));
      case "unauthorized" ->
          response =
              errorResponse(
                  HttpResponseStatus.UNAUTHORIZED,
                  wire.errorBody("authentication_error", "invalid_api_key", "simulated bad key"));
      case "refuse" -> {
        recorded.markFinished();
        ctx.close();
        return true;
      }
      default -> {
        return false;
      }
    }
    if (retryAfter != null) {
      response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
    }
    recorded.markFinished();
    ctx.writeAndFlush(response);
    return true;
  }

  private static FullHttpResponse errorResponse(HttpResponseStatus status, String json) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    HttpUtil.setContentLength(response, response.content().readableBytes());
    return response;
  }

  private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String json) {
    ctx.writeAndFlush(errorResponse(status, json));
  }

  /** One streaming response, driven by tasks on its channel's event loop. */
  private final class Stream {
    final ChannelHandlerContext ctx;
    final RecordedRequest recorded;
    final SimOptions options;
    final SimWire wire;
    final List<String> tokens;
    final boolean cutByMaxTokens;
    final long promptTokens;
    final long startNanos;
    final Duration ttft;
    final double tokensPerSecond;
    final int split;
    final String fault;
    final int faultAfter;
    final List<SimWire.ToolAsk> toolAsks;
    final ChannelFutureListener onClose = f -> clientClosed();
    int next;
    long firstTokenNanos;
    boolean ended;

    Stream(
        ChannelHandlerContext ctx,
        RecordedRequest recorded,
        SimOptions options,
        SimWire wire,
        JsonNode json,
        List<SimWire.ToolAsk> toolAsks) {
      this.ctx = ctx;
      this.toolAsks = toolAsks;
      this.recorded = recorded;
      this.options = options;
      this.wire = wire;
      int replyTokens = (int) options.longValue("tokens", settings.replyTokens());
      int maxTokens = json.path("max_tokens").asInt(0);
      this.cutByMaxTokens = maxTokens > 0 && maxTokens < replyTokens;
      this.tokens =
          SimulatedReplies.tokens(recorded.prompt(), cutByMaxTokens ? maxTokens : replyTokens);
      long words = 0;
      for (JsonNode m : json.path("messages")) {
        words += m.path("content").asText("").split("\\s+").length;
      }
      words += json.path("system").asText("").isEmpty() ? 0 : 1;
      this.promptTokens = Math.max(1, words);
      this.startNanos = System.nanoTime();
      this.ttft = options.millis("ttft_ms", settings.timeToFirstToken());
      this.tokensPerSecond =
          options.has("duration_ms")
              ? Math.max(1, tokens.size() - 1)
                  * 1000.0
                  / Math.max(1, options.longValue("duration_ms", 1))
              : options.doubleValue("tps", settings.tokensPerSecond());
      this.split = (int) options.longValue("split", 0);
      this.fault = options.fault();
      this.faultAfter = (int) options.longValue("after", 3);
    }

    void begin() {
      HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
      response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
      HttpUtil.setTransferEncodingChunked(response, true);
      openStreams.incrementAndGet();
      ctx.channel().closeFuture().addListener(onClose);
      ctx.write(response);
      for (String e : wire.opening(promptTokens)) {
        write(e);
      }
      ctx.flush();
      schedule(startNanos + ttft.toNanos());
    }

    private void clientClosed() {
      if (!ended) {
        ended = true;
        openStreams.decrementAndGet();
        recorded.markClientDisconnected();
      }
    }

    private void schedule(long atNanos) {
      long delay = atNanos - System.nanoTime();
      if (delay <= 0) {
        ctx.executor().execute(this::sendNext);
      } else {
        ctx.executor().schedule(this::sendNext, delay, TimeUnit.NANOSECONDS);
      }
    }

    void sendNext() {
      if (ended || !ctx.channel().isActive()) {
        return;
      }
      if (next == 0 && firstTokenNanos == 0) {
        if (holdIfPaused(this)) {
          return;
        }
        firstTokenNanos = System.nanoTime();
      }
      if (next == faultAfter && midStreamFault()) {
        return;
      }
      if (next < tokens.size()) {
        write(wire.token(tokens.get(next), next));
        ctx.flush();
        tokenObserver.tokenSent(recorded.prompt(), next, System.nanoTime());
        next++;
        if (next < tokens.size() || (next == faultAfter && !"none".equals(fault))) {
          schedule(firstTokenNanos + (long) (next * 1e9 / tokensPerSecond));
          return;
        }
      }
      if (!toolAsks.isEmpty()) {
        for (String e : wire.toolCalls(toolAsks)) {
          write(e);
        }
      }
      for (String e :
          wire.closing(cutByMaxTokens, !toolAsks.isEmpty(), promptTokens, tokens.size())) {
        write(e);
      }
      finish();
    }

    // Returns true when the fault ended or froze the stream.
    private boolean midStreamFault() {
      switch (fault) {
        case "reset" -> {
          ended = true;
          openStreams.decrementAndGet();
          recorded.markFinished();
          ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
          ctx.flush();
          ctx.close();
          return true;
        }
        case "stall" -> {
          return true;
        }
        case "truncate" -> {
          finish();
          return true;
        }
        case "malformed" -> {
          write(wire.malformed());
          finish();
          return true;
        }
        case "error_event" -> {
          write(wire.errorEvent(options.string("error_type", wire.defaultErrorType())));
          finish();
          return true;
        }
        default -> {
          return false;
        }
      }
    }

    private void finish() {
      ended = true;
      ctx.channel().closeFuture().removeListener(onClose);
      openStreams.decrementAndGet();
      recorded.markFinished();
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
          .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private void write(String event) {
      byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
      if (split <= 0) {
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
        return;
      }
      for (int i = 0; i < bytes.length; i += split) {
        ByteBuf piece = Unpooled.wrappedBuffer(bytes, i, Math.min(split, bytes.length - i));
        ctx.writeAndFlush(new DefaultHttpContent(piece));
      }
    }
  }

  /**
   * Runs the simulator until the process is stopped. Options: {@code --host}, {@code --port}
   * (default 8089), {@code --ttft-ms}, {@code --tps}, {@code --tokens}.
   */
  public static void main(String[] args) throws InterruptedException {
    SimulatorSettings s = SimulatorSettings.DEFAULTS.withPort(8089);
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      if (value == null) {
        usage("missing value for " + args[i]);
      }
      switch (args[i]) {
        case "--host" ->
            s =
                new SimulatorSettings(
                    value, s.port(), s.timeToFirstToken(), s.tokensPerSecond(), s.replyTokens());
        case "--port" -> s = s.withPort(parseInt(args[i], value));
        case "--ttft-ms" -> s = s.withTimeToFirstToken(Duration.ofMillis(parseInt(args[i], value)));
        case "--tps" -> s = s.withTokensPerSecond(parseInt(args[i], value));
        case "--tokens" -> s = s.withReplyTokens(parseInt(args[i], value));
        default -> usage("unknown option " + args[i]);
      }
      i++;
    }
    SimulatedModelServer server = start(s);
    System.out.println("Simulated model server listening");
    System.out.println("  OpenAI-compatible base URL: " + server.openAiBaseUrl());
    System.out.println("  Anthropic base URL:         " + server.anthropicBaseUrl());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "runnel-sim-shutdown"));
    server.serverChannel.closeFuture().sync();
  }

  private static int parseInt(String option, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      usage(option + " needs a whole number, got '" + value + "'");
      return 0;
    }
  }

  private static void usage(String problem) {
    System.err.println("error: " + problem);
    System.err.println(
        "usage: SimulatedModelServer [--host 127.0.0.1] [--port 8089] [--ttft-ms 200] [--tps 50]"
            + " [--tokens 40]");
    System.exit(2);
  }
}
