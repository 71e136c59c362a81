package dev.runnel.gateway.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Decision;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.ToolResult;
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
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes the gateway's HTTP requests. Runs on Netty's event loops and never blocks them.
 *
 * <p>Every answer goes through the {@link Exchange} of the request it belongs to, which writes at
 * most one response and none after the request was answered, so a late event (a timeout, a slow
 * acknowledgement) can never be written onto a keep-alive connection that has moved on to the next
 * request.
 */
@Sharable
public final class GatewayHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
  private static final String SESSIONS = "/v1/sessions/";
  private static final String MODELS = "/v1/models";
  private static final String JSON_TYPE = "application/json; charset=utf-8";

  /** Longest request line Netty's decoder accepts (Netty's default). */
  public static final int MAX_INITIAL_LINE_BYTES = 4096;

  /** Largest request head Netty's decoder accepts (Netty's default). */
  public static final int MAX_HEADER_BYTES = 8192;

  /** Header naming the Runnel session of a chat completion. */
  public static final String SESSION_HEADER = "X-Runnel-Session";

  /** The prompt attribute holding a chat completion's {@code user}, the caller's end-user id. */
  public static final String USER_ATTRIBUTE = "user";

  /** Header carrying the request id of a chat completion's prompt. */
  public static final String REQUEST_ID_HEADER = "X-Runnel-Request-Id";

  private final ChunkFeed feed;
  private final ChunkFeed completionFeed;
  private final PromptSender prompts;
  private final StateClient state;
  private final PrometheusMeterRegistry registry;
  private final int promptMaxChars;
  private final long maxPendingBytes;
  private final Duration completionTimeout;
  private final String defaultModel;
  private final List<String> allowedModels;
  private final long startedAt = Instant.now().getEpochSecond();
  private final byte[] page;
  private final ControlSender cancellations;
  private final ResponsesApi responses;
  private final AnthropicMessages messages;
  private final Tenants tenants;

  /**
   * One endpoint of the gateway: its route name (the metric's label), method and path, {@code
   * {session}} standing for a session id. Every branch of the router names its endpoint through
   * {@link #declared}, so an endpoint missing here fails its first request (and the tests that walk
   * this list find every endpoint).
   */
  public record Endpoint(String name, String method, String path, boolean isPublic) {}

  /** Every endpoint, in the router's order. */
  public static final List<Endpoint> ENDPOINTS =
      List.of(
          new Endpoint("page", "GET", "/", true),
          new Endpoint("health", "GET", "/health", true),
          new Endpoint("ready", "GET", "/ready", true),
          new Endpoint("metrics", "GET", "/metrics", false),
          new Endpoint("chat_completions", "POST", "/v1/chat/completions", false),
          new Endpoint("models", "GET", "/v1/models", false),
          new Endpoint("usage", "GET", "/v1/usage", false),
          new Endpoint("session_state", "GET", "/v1/sessions/{session}", false),
          new Endpoint("prompts", "POST", "/v1/sessions/{session}/prompts", false),
          new Endpoint("events", "GET", "/v1/sessions/{session}/events", false),
          new Endpoint("approvals", "POST", "/v1/sessions/{session}/approvals", false),
          new Endpoint("responses", "POST", ResponsesApi.PATH, false),
          new Endpoint("response", "GET", ResponsesApi.PATH + "/{response}", false),
          new Endpoint("response_cancel", "POST", ResponsesApi.PATH + "/{response}/cancel", false),
          new Endpoint("messages", "POST", AnthropicMessages.PATH, false));

  private static final java.util.Set<String> PUBLIC_PATHS =
      java.util.Set.of("/", "/index.html", "/health", "/ready");

  private static String declared(String name) {
    for (Endpoint e : ENDPOINTS) {
      if (e.name().equals(name)) {
        return name;
      }
    }
    throw new IllegalStateException("endpoint '" + name + "' is not in GatewayHandler.ENDPOINTS");
  }

  /** The gateway's parts; see {@link dev.runnel.gateway.Gateway}. */
  public record Settings(
      int promptMaxChars,
      long maxPendingBytes,
      Duration completionTimeout,
      List<String> queryUrls,
      Duration queryTimeout,
      String defaultModel,
      List<String> allowedModels,
      String systemPrompt,
      int modelMaxTokens) {}

  /**
   * A router over {@code feed} (event streams) and {@code completionFeed} (chat completions, which
   * must read committed records only; the same feed when it does).
   */
  public GatewayHandler(
      ChunkFeed feed,
      ChunkFeed completionFeed,
      Map<String, Object> clientProps,
      dev.runnel.topics.Topic<String, Prompt> promptTopic,
      dev.runnel.topics.Topic<String, Cancellation> cancellationTopic,
      dev.runnel.topics.Topic<String, ToolResult> decisionTopic,
      PrometheusMeterRegistry registry,
      Settings settings,
      Tenants tenants) {
    this.tenants = tenants;
    this.feed = feed;
    this.completionFeed = completionFeed;
    this.prompts = new PromptSender(clientProps, promptTopic);
    this.state = new StateClient(settings.queryUrls(), settings.queryTimeout());
    this.registry = registry;
    this.promptMaxChars = settings.promptMaxChars();
    this.maxPendingBytes = settings.maxPendingBytes();
    this.completionTimeout = settings.completionTimeout();
    this.defaultModel = settings.defaultModel();
    this.allowedModels = List.copyOf(settings.allowedModels());
    this.page = resource("index.html");
    this.cancellations = new ControlSender(clientProps, cancellationTopic, decisionTopic);
    ModelLimits limits = new ModelLimits(settings.systemPrompt(), settings.modelMaxTokens());
    this.responses =
        new ResponsesApi(
            this,
            completionFeed,
            prompts,
            cancellations,
            promptMaxChars,
            limits,
            completionTimeout);
    this.messages =
        new AnthropicMessages(
            this, completionFeed, prompts, promptMaxChars, limits, completionTimeout);
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
    cancellations.close();
    tenants.close();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    Exchange exchange = new Exchange(ctx, HttpUtil.isKeepAlive(request));
    if (request.decoderResult().isFailure()) {
      undecodable(exchange, request.decoderResult().cause());
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    String path = uri.rawPath();
    HttpMethod method = request.method();
    String route = "other";
    try {
      if (path.equals(AnthropicMessages.PATH) || path.startsWith(AnthropicMessages.PATH + "/")) {
        // Every answer of the Messages API is in Anthropic's shape, a 401 or 403 included.
        exchange.errorShape(AnthropicMessages::errorBody);
      }
      FrontDoor.Caller caller = tenants.caller(request, PUBLIC_PATHS.contains(path));
      exchange.headers(caller.corsHeaders());
      Optional<Map<String, String>> preflight = tenants.preflight(request, caller.corsHeaders());
      if (preflight.isPresent()) {
        route = "preflight";
        exchange.respond(HttpResponseStatus.NO_CONTENT, JSON_TYPE, new byte[0], preflight.get());
        return;
      }
      String tenant = caller.tenant();
      exchange.tenant(tenant);
      if (path.equals("/") || path.equals("/index.html")) {
        route = declared("page");
        requireMethod(method, HttpMethod.GET);
        exchange.respond(HttpResponseStatus.OK, "text/html; charset=utf-8", page, Map.of());
      } else if (path.equals("/health")) {
        route = declared("health");
        exchange.respondJson(
            HttpResponseStatus.OK, Json.MAPPER.createObjectNode().put("status", "UP"), Map.of());
      } else if (path.equals("/ready")) {
        route = declared("ready");
        boolean ready = feed.ready() && completionFeed.ready();
        exchange.respondJson(
            ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            Json.MAPPER.createObjectNode().put("status", ready ? "READY" : "NOT_READY"),
            Map.of());
      } else if (path.equals("/metrics")) {
        route = declared("metrics");
        exchange.respond(
            HttpResponseStatus.OK,
            "text/plain; version=0.0.4; charset=utf-8",
            registry.scrape().getBytes(StandardCharsets.UTF_8),
            Map.of());
      } else if (path.equals("/v1/chat/completions")) {
        route = declared("chat_completions");
        requireMethod(method, HttpMethod.POST);
        chatCompletion(ctx, exchange, request, tenant);
      } else if (path.equals(ResponsesApi.PATH) || path.startsWith(ResponsesApi.PATH + "/")) {
        route = declared(ResponsesApi.endpointOf(path));
        responses.route(ctx, exchange, request, uri);
      } else if (path.equals(AnthropicMessages.PATH)
          || path.startsWith(AnthropicMessages.PATH + "/")) {
        route = declared("messages");
        if (!path.equals(AnthropicMessages.PATH)) {
          throw notFound(path);
        }
        requireMethod(method, HttpMethod.POST);
        messages.create(ctx, exchange, request);
      } else if (path.equals(MODELS) || path.startsWith(MODELS + "/")) {
        route = declared("models");
        requireMethod(method, HttpMethod.GET);
        models(exchange, path);
      } else if (path.equals("/v1/usage")) {
        route = declared("usage");
        requireMethod(method, HttpMethod.GET);
        exchange.respondJson(HttpResponseStatus.OK, tenants.usage(tenant), Map.of());
      } else if (path.startsWith(SESSIONS)) {
        // Split the raw path before decoding, so an encoded '/' stays inside its segment (and
        // then fails the session id rule) instead of becoming a path separator.
        String[] parts = path.substring(SESSIONS.length()).split("/", -1);
        String session = Validation.sessionId(QueryStringDecoder.decodeComponent(parts[0]));
        // The only way from a client's session id to a session: through the caller's tenant.
        String key = tenants.key(tenant, session);
        if (parts.length == 1) {
          route = declared("session_state");
          requireMethod(method, HttpMethod.GET);
          sessionState(exchange, key);
        } else if (parts.length == 2 && parts[1].equals("prompts")) {
          route = declared("prompts");
          requireMethod(method, HttpMethod.POST);
          prompt(exchange, request, tenant, session, key);
        } else if (parts.length == 2 && parts[1].equals("approvals")) {
          route = declared("approvals");
          requireMethod(method, HttpMethod.POST);
          approval(exchange, request, session, key);
        } else if (parts.length == 2 && parts[1].equals("events")) {
          route = declared("events");
          requireMethod(method, HttpMethod.GET);
          events(ctx, exchange, request, uri, key);
        } else {
          throw notFound(path);
        }
      } else {
        throw notFound(path);
      }
    } catch (Validation.Invalid e) {
      exchange.fail(
          ApiError.of(HttpResponseStatus.BAD_REQUEST, e.code, e.getMessage()).param(e.param));
    } catch (Failure e) {
      exchange.fail(e.error);
    } catch (RuntimeException e) {
      log.error("{} {} failed", method, path, e);
      exchange.fail(
          ApiError.of(
              HttpResponseStatus.INTERNAL_SERVER_ERROR,
              "internal",
              "the gateway failed to answer; see its log"));
    } finally {
      registry.counter("runnel.gateway.http.requests", "route", route).increment();
    }
  }

  static Failure notFound(String path) {
    String shown = path.length() > 80 ? path.substring(0, 80) + "..." : path;
    return new Failure(HttpResponseStatus.NOT_FOUND, "not_found", "no such path: " + shown);
  }

  /** A request Netty could not parse: answered, then the connection closes (its state is lost). */
  private void undecodable(Exchange exchange, Throwable cause) {
    ApiError error;
    if (cause instanceof TooLongHttpLineException) {
      error =
          ApiError.of(
              HttpResponseStatus.BAD_REQUEST,
              "request_line_too_long",
              "the request line is longer than "
                  + MAX_INITIAL_LINE_BYTES
                  + " bytes; session ids and request ids are at most "
                  + Validation.MAX_ID_LENGTH
                  + " characters");
    } else if (cause instanceof TooLongHttpHeaderException) {
      error =
          ApiError.of(
              HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
              "headers_too_large",
              "the request headers are larger than " + MAX_HEADER_BYTES + " bytes");
    } else {
      error =
          ApiError.of(
              HttpResponseStatus.BAD_REQUEST, "bad_http", "the request is not valid HTTP/1.1");
    }
    exchange.closeAfter().fail(error);
  }

  static void requireMethod(HttpMethod actual, HttpMethod expected) {
    if (!actual.equals(expected)) {
      throw new Failure(
          HttpResponseStatus.METHOD_NOT_ALLOWED,
          "method_not_allowed",
          actual + " is not allowed here; use " + expected);
    }
  }

  JsonNode body(FullHttpRequest request) {
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
      // Jackson's own message names its classes and echoes the input; the place is what helps.
      var where = e.getLocation();
      throw new Failure(
          HttpResponseStatus.BAD_REQUEST,
          "bad_json",
          where == null
              ? "the request body is not valid JSON"
              : "the request body is not valid JSON (line "
                  + where.getLineNr()
                  + ", column "
                  + where.getColumnNr()
                  + ")");
    }
  }

  String requestIdOf(FullHttpRequest request) {
    String key = request.headers().get("Idempotency-Key");
    return key == null ? UUID.randomUUID().toString() : Validation.requestId(key);
  }

  private void prompt(
      Exchange exchange, FullHttpRequest request, String tenant, String session, String key) {
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
    tenants.admit(tenant);
    prompts
        .send(key, prompt.build())
        .whenComplete(
            (ok, error) ->
                respondAccepted(
                    exchange,
                    error,
                    "prompt",
                    Json.MAPPER
                        .createObjectNode()
                        .put("requestId", requestId)
                        .put("sessionId", session)));
  }

  private static final Set<String> APPROVAL_FIELDS = Set.of("callId", "decision", "message");

  /**
   * Approves or rejects a call the session's run waits on: {@code {"callId": "call_1", "decision":
   * "approved" | "rejected", "message": "..."}} becomes a {@code ToolResult} with that decision on
   * the tool-results topic, keyed by the session, as a tool service would write it.
   */
  private void approval(Exchange exchange, FullHttpRequest request, String session, String key) {
    JsonNode body = body(request);
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!APPROVAL_FIELDS.contains(name)) {
        throw new Validation.Invalid(
            "unsupported_parameter",
            "'"
                + Validation.shorten(name)
                + "' is not a field of an approval (fields: callId,"
                + " decision, message)");
      }
    }
    JsonNode callId = body.get("callId");
    if (callId == null || !callId.isTextual() || callId.asText().isBlank()) {
      throw new Validation.Invalid("bad_call_id", "'callId' must be the pending call's id");
    }
    JsonNode decisionNode = body.get("decision");
    String decisionText = decisionNode == null ? "" : decisionNode.asText();
    Decision decision =
        switch (decisionNode != null && decisionNode.isTextual() ? decisionText : "") {
          case "approved" -> Decision.APPROVED;
          case "rejected" -> Decision.REJECTED;
          default ->
              throw new Validation.Invalid(
                  "bad_decision",
                  "'decision' must be \"approved\" or \"rejected\", was "
                      + (decisionNode == null
                          ? "missing"
                          : Validation.shorten(decisionNode.toString())));
        };
    JsonNode message = body.get("message");
    if (message != null && !message.isNull() && !message.isTextual()) {
      throw new Validation.Invalid("bad_message", "'message' must be a string");
    }
    String said = message == null || message.isNull() ? "" : message.asText();
    if (said.length() > promptMaxChars) {
      throw new Validation.Invalid(
          "message_too_long",
          "'message' has " + said.length() + " characters, more than " + promptMaxChars);
    }
    cancellations
        .decide(
            key,
            ToolResult.newBuilder()
                .setCallId(callId.asText())
                .setDecision(decision)
                .setContent(said)
                .build())
        .whenComplete(
            (ok, error) ->
                respondAccepted(
                    exchange,
                    error,
                    "decision",
                    Json.MAPPER
                        .createObjectNode()
                        .put("sessionId", session)
                        .put("callId", callId.asText())
                        .put("decision", decisionText)));
  }

  static ApiError notAccepted(Throwable error) {
    return notAccepted("prompt", error);
  }

  private static ApiError notAccepted(String what, Throwable error) {
    return ApiError.of(
            HttpResponseStatus.SERVICE_UNAVAILABLE,
            "kafka_unavailable",
            "the " + what + " was not accepted: " + error.getMessage())
        .retryAfter(1);
  }

  /** 202 with {@code answer} once the broker has the record, else 503 naming {@code what}. */
  private static void respondAccepted(
      Exchange exchange, Throwable error, String what, ObjectNode answer) {
    if (error != null) {
      exchange.fail(notAccepted(what, error));
    } else {
      exchange.respondJson(HttpResponseStatus.ACCEPTED, answer, Map.of());
    }
  }

  private void events(
      ChannelHandlerContext ctx,
      Exchange exchange,
      FullHttpRequest request,
      QueryStringDecoder uri,
      String session) {
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
          "Last-Event-ID '"
              + Validation.shorten(lastEventId)
              + "' is not of the form <partition>-<offset>");
    }
    requireReady();
    if (resume.isPresent() && resume.get().partition() != feed.partitionOf(session)) {
      throw new Validation.Invalid(
          "bad_last_event_id",
          "Last-Event-ID "
              + resume.get().partition()
              + "-"
              + resume.get().offset()
              + " is not of session "
              + session
              + ", whose chunks are in partition "
              + feed.partitionOf(session));
    }
    SseStream stream = exchange.stream(null, null);
    ChunkFeed.Subscription sub;
    try {
      sub = feed.subscribe(session, resume, requestId, new EventsWatcher(stream, requestId));
    } catch (ChunkFeed.Busy e) {
      throw new Failure(
          ApiError.of(HttpResponseStatus.SERVICE_UNAVAILABLE, "resume_busy", e.getMessage())
              .retryAfter(e.retryAfterSeconds()));
    }
    exchange.streaming();
    ctx.channel().closeFuture().addListener(f -> sub.cancel());
    stream.send(": subscribed\n\n");
  }

  void requireReady() {
    if (!feed.ready() || !completionFeed.ready()) {
      throw new Failure(
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "not_ready",
          "the gateway is not yet following the chunks topic");
    }
  }

  private void sessionState(Exchange exchange, String session) {
    if (!state.configured()) {
      throw new Failure(
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "state_unavailable",
          "no topology instance to ask: set runnel.gateway.query.urls");
    }
    state
        .get(session)
        .whenComplete(
            (answer, error) -> {
              if (error != null) {
                exchange.fail(
                    ApiError.of(
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "state_unavailable",
                        error.getMessage()));
                return;
              }
              HttpResponseStatus status = HttpResponseStatus.valueOf(answer.status());
              exchange.respond(
                  status,
                  JSON_TYPE,
                  withErrorType(status, answer.body()).getBytes(StandardCharsets.UTF_8),
                  Map.of());
            });
  }

  /** An instance's error answer in the gateway's shape (it may lack {@code type}). */
  private static String withErrorType(HttpResponseStatus status, String body) {
    if (status.code() < 400) {
      return body;
    }
    try {
      JsonNode node = Json.MAPPER.readTree(body);
      JsonNode error = node == null ? null : node.get("error");
      if (error instanceof ObjectNode e && e.path("code").isTextual()) {
        ApiError shaped = ApiError.of(status, e.get("code").asText(), e.path("message").asText());
        return Json.write(shaped.body());
      }
    } catch (JsonProcessingException e) {
      // not JSON: wrapped below
    }
    return Json.write(
        ApiError.of(status, "state_unavailable", "the topology instance answered " + status)
            .body());
  }

  /**
   * The models a request may name: {@code runnel.model.allowed}, or the default model when any is
   * allowed (there is no list to give then).
   */
  private List<String> listedModels() {
    return allowedModels.isEmpty() ? List.of(defaultModel) : allowedModels;
  }

  /**
   * OpenAI's model object. {@code created} is when this gateway started: Runnel does not know when
   * a model was made, and OpenAI's clients require the field.
   */
  private ObjectNode modelObject(String id) {
    return Json.MAPPER
        .createObjectNode()
        .put("id", id)
        .put("object", "model")
        .put("created", startedAt)
        .put("owned_by", "runnel");
  }

  private void models(Exchange exchange, String path) {
    if (path.equals(MODELS) || path.equals(MODELS + "/")) {
      ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
      var data = list.putArray("data");
      listedModels().forEach(id -> data.add(modelObject(id)));
      exchange.respondJson(HttpResponseStatus.OK, list, Map.of());
      return;
    }
    String id = QueryStringDecoder.decodeComponent(path.substring(MODELS.length() + 1));
    if (!listedModels().contains(id)) {
      throw unknownModel(id);
    }
    exchange.respondJson(HttpResponseStatus.OK, modelObject(id), Map.of());
  }

  private static Failure unknownModel(String id) {
    return new Failure(
        ApiError.of(
                HttpResponseStatus.NOT_FOUND,
                "model_not_found",
                "the model '"
                    + Validation.shorten(id)
                    + "' is not one of this gateway's models (GET /v1/models lists them)")
            .param("model"));
  }

  /**
   * The session a chat request names ({@code X-Runnel-Session}), for every chat API: Chat
   * Completions, Responses and Anthropic Messages. Empty when it names none.
   */
  Optional<String> namedSession(FullHttpRequest request) {
    String header = request.headers().get(SESSION_HEADER);
    return header == null ? Optional.empty() : Optional.of(Validation.sessionId(header));
  }

  /**
   * The Kafka key of a client's session: the one place where a session a client names becomes the
   * key of its prompts, chunks and state.
   */
  String sessionKey(Exchange exchange, String clientSession) {
    return tenants.key(exchange.tenant(), clientSession);
  }

  /** Counts a prompt against the caller's quotas; throws the 429 when it is over one. */
  void admit(Exchange exchange) {
    tenants.admit(exchange.tenant());
  }

  /**
   * The model a chat request gets. The prompt names its model even when the caller did not, so that
   * the model the reply names is the one the topology uses, whatever its own default.
   */
  String modelFor(Optional<String> requested) {
    String model = requested.orElse(defaultModel);
    if (!allowedModels.isEmpty() && !allowedModels.contains(model)) {
      throw unknownModel(model);
    }
    return model;
  }

  private void chatCompletion(
      ChannelHandlerContext ctx, Exchange exchange, FullHttpRequest request, String tenant) {
    ChatCompletionRequest chat = ChatCompletionRequest.parse(body(request), promptMaxChars);
    String session = namedSession(request).orElseGet(() -> "chat-" + UUID.randomUUID());
    String model = modelFor(chat.model());
    String requestId = requestIdOf(request);
    String key = tenants.key(tenant, session);
    requireReady();
    tenants.admit(tenant);
    long created = Instant.now().getEpochSecond();
    Prompt.Builder prompt =
        Prompt.newBuilder()
            .setContent(chat.prompt())
            .setRequestId(requestId)
            .setModel(model)
            .setTools(chat.tools().isEmpty() ? null : chat.tools())
            .setToolResults(chat.toolResults().isEmpty() ? null : chat.toolResults());
    chat.user().ifPresent(user -> prompt.setAttributes(Map.of(USER_ATTRIBUTE, user)));
    Map<String, String> headers = Map.of(SESSION_HEADER, session, REQUEST_ID_HEADER, requestId);
    exchange.headers(headers);
    CompletionWatcher watcher;
    if (chat.stream()) {
      SseStream stream = exchange.stream(SESSION_HEADER, session);
      watcher = CompletionWatcher.streaming(requestId, model, created, stream, chat.includeUsage());
      exchange.streaming();
      watcher.start();
    } else {
      watcher =
          CompletionWatcher.whole(
              requestId,
              model,
              created,
              response -> exchange.respondJson(HttpResponseStatus.OK, response, headers),
              exchange::fail);
    }
    watcher.earlierReplies(this::earlierReply);
    // Subscribe before sending, so no chunk of the reply can pass before the watcher is there.
    ChunkFeed.Subscription sub =
        completionFeed.subscribe(key, Optional.empty(), Optional.of(requestId), watcher);
    exchange.onEnd(sub::cancel);
    exchange.onEnd(
        () -> {
          if (!watcher.done()) {
            tenants.clientGone(key, requestId);
          }
        });
    if (!chat.stream()) {
      ScheduledFuture<?> timeout =
          ctx.executor()
              .schedule(
                  () ->
                      watcher.fail(
                          ApiError.of(
                              HttpResponseStatus.GATEWAY_TIMEOUT,
                              "timeout",
                              "no end record within " + completionTimeout.toMillis() + " ms")),
                  completionTimeout.toMillis(),
                  TimeUnit.MILLISECONDS);
      exchange.onEnd(() -> timeout.cancel(false));
    }
    prompts
        .send(key, prompt.build())
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                watcher.fail(notAccepted(error));
                sub.cancel();
              }
            });
  }

  /** The assistant message of {@code requestId} in the session's state, if the state holds it. */
  private CompletableFuture<Optional<String>> earlierReply(String sessionId, String requestId) {
    if (!state.configured()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return state
        .get(sessionId)
        .thenApply(
            answer -> {
              if (answer.status() != 200) {
                return Optional.empty();
              }
              try {
                for (JsonNode message : Json.MAPPER.readTree(answer.body()).path("messages")) {
                  if ("assistant".equals(message.path("role").asText())
                      && requestId.equals(message.path("requestId").asText(null))) {
                    return Optional.of(message.path("content").asText());
                  }
                }
              } catch (JsonProcessingException e) {
                log.debug("Unreadable session state for {}", sessionId, e);
              }
              return Optional.empty();
            });
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("Closing a connection after an error", cause);
    ctx.close();
  }

  /**
   * The answer to one request. It writes at most one full response (or hands the connection to one
   * event stream), always on the channel's event loop, and runs its clean-ups (cancel the timeout,
   * drop the subscription) when it answers or the connection closes.
   */
  final class Exchange {
    private final ChannelHandlerContext ctx;
    private boolean keepAlive;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final List<Runnable> onEnd = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean ended;
    private Map<String, String> headers = Map.of();
    private java.util.function.Function<ApiError, Object> errorShape = ApiError::body;
    private String tenant;

    private final GenericFutureListener<Future<? super Void>> onClose = f -> end();

    Exchange(ChannelHandlerContext ctx, boolean keepAlive) {
      this.ctx = ctx;
      this.keepAlive = keepAlive;
      ctx.channel().closeFuture().addListener(onClose);
    }

    /** The connection closes after the answer. */
    Exchange closeAfter() {
      keepAlive = false;
      return this;
    }

    /** Headers every answer of this exchange carries, errors included. */
    void headers(Map<String, String> headers) {
      Map<String, String> all = new HashMap<>(this.headers);
      all.putAll(headers);
      this.headers = all;
    }

    /** The tenant of the caller, known once its key was checked. */
    String tenant() {
      return java.util.Objects.requireNonNull(tenant, "tenant");
    }

    void tenant(String tenant) {
      this.tenant = tenant;
    }

    /** Errors of this exchange are written as {@code shape} makes them (OpenAI's by default). */
    void errorShape(java.util.function.Function<ApiError, Object> shape) {
      this.errorShape = shape;
    }

    /** Runs {@code cleanUp} once the response was written or the connection closed. */
    void onEnd(Runnable cleanUp) {
      onEnd.add(cleanUp);
      if (ended) {
        end();
      }
    }

    private void end() {
      ended = true;
      for (Runnable r : onEnd) {
        if (onEnd.remove(r)) {
          r.run();
        }
      }
    }

    /** An event stream for this request; {@link #streaming()} once it is the answer. */
    SseStream stream(String headerName, String headerValue) {
      return new SseStream(
          ctx.channel(),
          maxPendingBytes,
          () -> registry.counter("runnel.gateway.watchers.overflowed").increment(),
          headerName,
          headerValue);
    }

    /** The request is answered by its event stream, which ends the response itself. */
    void streaming() {
      answered.set(true);
    }

    void fail(ApiError error) {
      Map<String, String> all = new HashMap<>(headers);
      error.retryAfterSeconds().ifPresent(s -> all.put("Retry-After", Integer.toString(s)));
      all.put("x-should-retry", Boolean.toString(error.worthRetrying()));
      respondJson(error.status(), errorShape.apply(error), all);
    }

    void respondJson(HttpResponseStatus status, Object body, Map<String, String> extra) {
      respond(status, JSON_TYPE, Json.write(body).getBytes(StandardCharsets.UTF_8), extra);
    }

    void respond(HttpResponseStatus status, String type, byte[] body, Map<String, String> extra) {
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      if (ctx.executor().inEventLoop()) {
        write(status, type, body, extra);
      } else {
        ctx.executor().execute(() -> write(status, type, body, extra));
      }
    }

    private void write(
        HttpResponseStatus status, String type, byte[] body, Map<String, String> extra) {
      end();
      // A keep-alive connection carries many requests: each answered one lets go of it.
      ctx.channel().closeFuture().removeListener(onClose);
      if (!ctx.channel().isActive()) {
        return;
      }
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      headers.forEach((k, v) -> response.headers().set(k, v));
      extra.forEach((k, v) -> response.headers().set(k, v));
      HttpUtil.setKeepAlive(response, keepAlive);
      var future = ctx.writeAndFlush(response);
      if (!keepAlive) {
        future.addListener(ChannelFutureListener.CLOSE);
      }
    }
  }

  /** An answer other than success, thrown while routing. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient ApiError error;

    Failure(HttpResponseStatus status, String code, String message) {
      this(ApiError.of(status, code, message));
    }

    Failure(ApiError error) {
      super(error.message(), null, false, false);
      this.error = error;
    }
  }
}
