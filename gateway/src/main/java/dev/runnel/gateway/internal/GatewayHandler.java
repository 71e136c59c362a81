package dev.runnel.gateway.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Prompt;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes the gateway's HTTP requests. Runs on Netty's event loops and never blocks them. */
@Sharable
public final class GatewayHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
  private static final String SESSIONS = "/v1/sessions/";
  private static final String JSON_TYPE = "application/json; charset=utf-8";

  /** Header naming the Runnel session of a chat completion. */
  public static final String SESSION_HEADER = "X-Runnel-Session";

  /** Header carrying the request id of a chat completion's prompt. */
  public static final String REQUEST_ID_HEADER = "X-Runnel-Request-Id";

  private final ChunkFeed feed;
  private final PromptSender prompts;
  private final StateClient state;
  private final PrometheusMeterRegistry registry;
  private final int promptMaxChars;
  private final long maxPendingBytes;
  private final Duration completionTimeout;
  private final byte[] page;

  /** The gateway's parts; see {@link dev.runnel.gateway.Gateway}. */
  public record Settings(
      int promptMaxChars,
      long maxPendingBytes,
      Duration completionTimeout,
      List<String> queryUrls,
      Duration queryTimeout) {}

  public GatewayHandler(
      ChunkFeed feed,
      Map<String, Object> clientProps,
      dev.runnel.topics.Topic<String, Prompt> promptTopic,
      PrometheusMeterRegistry registry,
      Settings settings) {
    this.feed = feed;
    this.prompts = new PromptSender(clientProps, promptTopic);
    this.state = new StateClient(settings.queryUrls(), settings.queryTimeout());
    this.registry = registry;
    this.promptMaxChars = settings.promptMaxChars();
    this.maxPendingBytes = settings.maxPendingBytes();
    this.completionTimeout = settings.completionTimeout();
    this.page = resource("index.html");
  }

  private static byte[] resource(String name) {
    try (InputStream in = GatewayHandler.class.getResourceAsStream("/dev/runnel/gateway/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Releases the prompt producer. */
  public void close() {
    prompts.close();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String path = uri.path();
    HttpMethod method = request.method();
    String route = "other";
    try {
      if (path.equals("/") || path.equals("/index.html")) {
        route = "page";
        requireMethod(method, HttpMethod.GET);
        respond(ctx, request, HttpResponseStatus.OK, "text/html; charset=utf-8", page);
      } else if (path.equals("/health")) {
        route = "health";
        respondJson(
            ctx,
            request,
            HttpResponseStatus.OK,
            Json.MAPPER.createObjectNode().put("status", "UP"));
      } else if (path.equals("/ready")) {
        route = "ready";
        boolean ready = feed.ready();
        respondJson(
            ctx,
            request,
            ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            Json.MAPPER.createObjectNode().put("status", ready ? "READY" : "NOT_READY"));
      } else if (path.equals("/metrics")) {
        route = "metrics";
        respond(
            ctx,
            request,
            HttpResponseStatus.OK,
            "text/plain; version=0.0.4; charset=utf-8",
            registry.scrape().getBytes(StandardCharsets.UTF_8));
      } else if (path.equals("/v1/chat/completions")) {
        route = "chat_completions";
        requireMethod(method, HttpMethod.POST);
        chatCompletion(ctx, request);
      } else if (path.startsWith(SESSIONS)) {
        String rest = path.substring(SESSIONS.length());
        String[] parts = rest.split("/", -1);
        String session = Validation.sessionId(parts[0]);
        if (parts.length == 1) {
          route = "session_state";
          requireMethod(method, HttpMethod.GET);
          sessionState(ctx, request, session);
        } else if (parts.length == 2 && parts[1].equals("prompts")) {
          route = "prompts";
          requireMethod(method, HttpMethod.POST);
          prompt(ctx, request, session);
        } else if (parts.length == 2 && parts[1].equals("events")) {
          route = "events";
          requireMethod(method, HttpMethod.GET);
          events(ctx, request, uri, session);
        } else {
          throw new Failure(HttpResponseStatus.NOT_FOUND, "not_found", "no such path: " + path);
        }
      } else {
        throw new Failure(HttpResponseStatus.NOT_FOUND, "not_found", "no such path: " + path);
      }
    } catch (Validation.Invalid e) {
      error(ctx, request, HttpResponseStatus.BAD_REQUEST, e.code, e.getMessage());
    } catch (Failure e) {
      error(ctx, request, e.status, e.code, e.getMessage());
    } catch (RuntimeException e) {
      log.error("{} {} failed", method, path, e);
      error(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", e.toString());
    } finally {
      registry.counter("runnel.gateway.http.requests", "route", route).increment();
    }
  }

  private static void requireMethod(HttpMethod actual, HttpMethod expected) {
    if (!actual.equals(expected)) {
      throw new Failure(
          HttpResponseStatus.METHOD_NOT_ALLOWED,
          "method_not_allowed",
          actual + " is not allowed here; use " + expected);
    }
  }

  private JsonNode body(FullHttpRequest request) {
    String text = request.content().toString(StandardCharsets.UTF_8);
    if (text.isBlank()) {
      throw new Failure(HttpResponseStatus.BAD_REQUEST, "bad_json", "the request body is empty");
    }
    try {
      JsonNode node = Json.MAPPER.readTree(text);
      if (node == null || !node.isObject()) {
        throw new Failure(
            HttpResponseStatus.BAD_REQUEST, "bad_json", "the request body must be a JSON object");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new Failure(
          HttpResponseStatus.BAD_REQUEST,
          "bad_json",
          "the request body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private String requestIdOf(FullHttpRequest request) {
    String key = request.headers().get("Idempotency-Key");
    return key == null ? UUID.randomUUID().toString() : Validation.requestId(key);
  }

  private void prompt(ChannelHandlerContext ctx, FullHttpRequest request, String session) {
    JsonNode body = body(request);
    JsonNode promptNode = body.get("prompt");
    if (promptNode != null && !promptNode.isTextual()) {
      throw new Validation.Invalid("bad_prompt", "'prompt' must be a string");
    }
    String content =
        Validation.prompt(promptNode == null ? null : promptNode.asText(), promptMaxChars);
    Prompt.Builder prompt = Prompt.newBuilder().setContent(content);
    JsonNode model = body.get("model");
    if (model != null && !model.isNull()) {
      if (!model.isTextual() || model.asText().isBlank()) {
        throw new Validation.Invalid("bad_model", "'model' must be a non-empty string");
      }
      prompt.setModel(model.asText());
    }
    String requestId = requestIdOf(request);
    prompt.setRequestId(requestId);
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    prompts
        .send(session, prompt.build())
        .whenComplete(
            (ok, error) ->
                ctx.executor()
                    .execute(
                        () -> {
                          if (error != null) {
                            sendJson(
                                ctx,
                                keepAlive,
                                HttpResponseStatus.SERVICE_UNAVAILABLE,
                                Json.error(
                                    "kafka_unavailable",
                                    "the prompt was not accepted: " + error.getMessage(),
                                    "server_error"));
                          } else {
                            sendJson(
                                ctx,
                                keepAlive,
                                HttpResponseStatus.ACCEPTED,
                                Json.MAPPER
                                    .createObjectNode()
                                    .put("requestId", requestId)
                                    .put("sessionId", session));
                          }
                        }));
  }

  private void events(
      ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri, String session) {
    List<String> ids = uri.parameters().get("requestId");
    Optional<String> requestId =
        ids == null || ids.isEmpty()
            ? Optional.empty()
            : Optional.of(Validation.requestId(ids.get(0)));
    String lastEventId = request.headers().get("Last-Event-ID");
    if (lastEventId == null) {
      List<String> q = uri.parameters().get("lastEventId");
      lastEventId = q == null || q.isEmpty() ? null : q.get(0);
    }
    Optional<EventId> resume = EventId.parse(lastEventId);
    if (lastEventId != null && !lastEventId.isBlank() && resume.isEmpty()) {
      throw new Validation.Invalid(
          "bad_last_event_id",
          "Last-Event-ID '" + lastEventId + "' is not of the form <partition>-<offset>");
    }
    requireReady();
    SseStream stream =
        new SseStream(
            ctx.channel(),
            maxPendingBytes,
            () -> registry.counter("runnel.gateway.watchers.overflowed").increment());
    stream.open(null, null);
    ChunkFeed.Subscription sub =
        feed.subscribe(session, resume, requestId, new EventsWatcher(stream, requestId));
    ctx.channel().closeFuture().addListener(f -> sub.cancel());
    stream.send(": subscribed\n\n");
  }

  private void requireReady() {
    if (!feed.ready()) {
      throw new Failure(
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "not_ready",
          "the gateway is not yet following the chunks topic");
    }
  }

  private void sessionState(ChannelHandlerContext ctx, FullHttpRequest request, String session) {
    if (!state.configured()) {
      throw new Failure(
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "state_unavailable",
          "no topology instance to ask: set runnel.gateway.query.urls");
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    state
        .get(session)
        .whenComplete(
            (answer, error) ->
                ctx.executor()
                    .execute(
                        () -> {
                          if (error != null) {
                            sendJson(
                                ctx,
                                keepAlive,
                                HttpResponseStatus.SERVICE_UNAVAILABLE,
                                Json.error(
                                    "state_unavailable", error.getMessage(), "server_error"));
                            return;
                          }
                          sendBytes(
                              ctx,
                              keepAlive,
                              HttpResponseStatus.valueOf(answer.status()),
                              JSON_TYPE,
                              answer.body().getBytes(StandardCharsets.UTF_8));
                        }));
  }

  private void chatCompletion(ChannelHandlerContext ctx, FullHttpRequest request) {
    ChatCompletionRequest chat = ChatCompletionRequest.parse(body(request), promptMaxChars);
    String header = request.headers().get(SESSION_HEADER);
    String session =
        header != null
            ? Validation.sessionId(header)
            : chat.user().map(Validation::sessionId).orElse("chat-" + UUID.randomUUID());
    String requestId = requestIdOf(request);
    requireReady();
    long created = Instant.now().getEpochSecond();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    Prompt.Builder prompt = Prompt.newBuilder().setContent(chat.prompt()).setRequestId(requestId);
    chat.model().ifPresent(prompt::setModel);
    String model = chat.model().orElse("runnel");
    Map<String, String> headers = new HashMap<>();
    headers.put(SESSION_HEADER, session);
    headers.put(REQUEST_ID_HEADER, requestId);
    CompletionWatcher watcher;
    if (chat.stream()) {
      SseStream stream =
          new SseStream(
              ctx.channel(),
              maxPendingBytes,
              () -> registry.counter("runnel.gateway.watchers.overflowed").increment());
      stream.open(SESSION_HEADER, session);
      watcher = CompletionWatcher.streaming(requestId, model, created, stream, chat.includeUsage());
      watcher.start();
    } else {
      watcher =
          CompletionWatcher.whole(
              requestId,
              model,
              created,
              response ->
                  ctx.executor()
                      .execute(
                          () ->
                              sendWithHeaders(
                                  ctx, keepAlive, HttpResponseStatus.OK, response, headers)),
              error ->
                  ctx.executor()
                      .execute(
                          () ->
                              sendWithHeaders(
                                  ctx,
                                  keepAlive,
                                  error.at("/error/code").asText().equals("timeout")
                                      ? HttpResponseStatus.GATEWAY_TIMEOUT
                                      : HttpResponseStatus.BAD_GATEWAY,
                                  error,
                                  headers)));
    }
    // Subscribe before sending, so no chunk of the reply can pass before the watcher is there.
    ChunkFeed.Subscription sub =
        feed.subscribe(session, Optional.empty(), Optional.of(requestId), watcher);
    ctx.channel().closeFuture().addListener(f -> sub.cancel());
    if (!chat.stream()) {
      ctx.executor()
          .schedule(
              () -> {
                sub.cancel();
                watcher.fail(
                    "timeout", "no end record within " + completionTimeout.toMillis() + " ms");
              },
              completionTimeout.toMillis(),
              TimeUnit.MILLISECONDS);
    }
    prompts
        .send(session, prompt.build())
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                sub.cancel();
                watcher.fail(
                    "kafka_unavailable", "the prompt was not accepted: " + error.getMessage());
              }
            });
  }

  private void error(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      HttpResponseStatus status,
      String code,
      String message) {
    String type =
        status.code() >= 500
            ? "server_error"
            : status.code() == 404 ? "not_found_error" : "invalid_request_error";
    respondJson(ctx, request, status, Json.error(code, message, type));
  }

  private void respondJson(
      ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, Object body) {
    sendJson(ctx, HttpUtil.isKeepAlive(request), status, body);
  }

  private static void sendJson(
      ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, Object body) {
    sendBytes(ctx, keepAlive, status, JSON_TYPE, Json.write(body).getBytes(StandardCharsets.UTF_8));
  }

  private static void sendWithHeaders(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      ObjectNode body,
      Map<String, String> headers) {
    FullHttpResponse response =
        full(status, JSON_TYPE, Json.write(body).getBytes(StandardCharsets.UTF_8));
    headers.forEach((k, v) -> response.headers().set(k, v));
    write(ctx, keepAlive, response);
  }

  private static void respond(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      HttpResponseStatus status,
      String type,
      byte[] body) {
    sendBytes(ctx, HttpUtil.isKeepAlive(request), status, type, body);
  }

  static void sendBytes(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      String type,
      byte[] body) {
    write(ctx, keepAlive, full(status, type, body));
  }

  private static FullHttpResponse full(HttpResponseStatus status, String type, byte[] body) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  private static void write(
      ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, keepAlive);
    var future = ctx.writeAndFlush(response);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("Closing a connection after an error", cause);
    ctx.close();
  }

  /** An answer other than success, with its status and error code. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient HttpResponseStatus status;
    final String code;

    Failure(HttpResponseStatus status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }
}
