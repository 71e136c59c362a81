package dev.runnel.gateway.internal;

import dev.runnel.schemas.Prompt;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI Responses API over Runnel's sessions: {@code POST /v1/responses}, {@code GET
 * /v1/responses/{id}} (also as a stream from {@code starting_after}) and {@code POST
 * /v1/responses/{id}/cancel}. A response is one prompt of a session; its id ({@link ResponseId})
 * holds everything needed to find its chunks, so any gateway instance serves any response, and a
 * stream resumed on another instance continues with the same sequence numbers ({@link
 * ResponsesEvents}).
 */
final class ResponsesApi {
  static final String PATH = "/v1/responses";

  private final GatewayHandler gateway;
  private final ChunkFeed feed;
  private final PromptSender prompts;
  private final ControlSender cancellations;
  private final int promptMaxChars;
  private final ModelLimits limits;
  private final Duration timeout;

  ResponsesApi(
      GatewayHandler gateway,
      ChunkFeed feed,
      PromptSender prompts,
      ControlSender cancellations,
      int promptMaxChars,
      ModelLimits limits,
      Duration timeout) {
    this.gateway = gateway;
    this.feed = feed;
    this.prompts = prompts;
    this.cancellations = cancellations;
    this.promptMaxChars = promptMaxChars;
    this.limits = limits;
    this.timeout = timeout;
  }

  /** The name of the endpoint a path under {@link #PATH} is for (see GatewayHandler.ENDPOINTS). */
  static String endpointOf(String path) {
    if (path.equals(PATH)) {
      return "responses";
    }
    String[] parts = path.substring(Math.min(path.length(), PATH.length() + 1)).split("/", -1);
    return parts.length == 2 && parts[1].equals("cancel") ? "response_cancel" : "response";
  }

  /** Routes a request whose path starts with {@link #PATH}. */
  void route(
      ChannelHandlerContext ctx,
      GatewayHandler.Exchange exchange,
      FullHttpRequest request,
      QueryStringDecoder uri) {
    String path = uri.rawPath();
    if (path.equals(PATH)) {
      GatewayHandler.requireMethod(request.method(), HttpMethod.POST);
      create(ctx, exchange, request);
      return;
    }
    if (!path.startsWith(PATH + "/")) {
      throw GatewayHandler.notFound(path);
    }
    String[] parts = path.substring(PATH.length() + 1).split("/", -1);
    if (parts.length == 1) {
      GatewayHandler.requireMethod(request.method(), HttpMethod.GET);
      retrieve(exchange, uri, resolve(QueryStringDecoder.decodeComponent(parts[0]), null));
    } else if (parts.length == 2 && parts[1].equals("cancel")) {
      GatewayHandler.requireMethod(request.method(), HttpMethod.POST);
      cancel(ctx, exchange, resolve(QueryStringDecoder.decodeComponent(parts[0]), null));
    } else {
      throw GatewayHandler.notFound(path);
    }
  }

  private String instructions() {
    return limits.systemPrompt().isEmpty() ? null : limits.systemPrompt();
  }

  /** The response {@code raw} names, if it is stored; {@code param} is the field naming it. */
  private ResponseId resolve(String raw, String param) {
    Optional<ResponseId> id = ResponseId.decode(raw);
    if (id.isEmpty()) {
      throw notFound("no response with id '" + Validation.shorten(raw) + "'", param);
    }
    if (!id.get().stored()) {
      throw notFound(
          "response '"
              + Validation.shorten(raw)
              + "' was created with store: false, so the gateway does not serve it back",
          param);
    }
    return id.get();
  }

  private static GatewayHandler.Failure notFound(String message, String param) {
    HttpResponseStatus status =
        param == null ? HttpResponseStatus.NOT_FOUND : HttpResponseStatus.BAD_REQUEST;
    return new GatewayHandler.Failure(
        ApiError.of(status, param == null ? "not_found" : "previous_response_not_found", message)
            .param(param));
  }

  private void create(
      ChannelHandlerContext ctx, GatewayHandler.Exchange exchange, FullHttpRequest request) {
    ResponsesRequest r = ResponsesRequest.parse(gateway.body(request), promptMaxChars, limits);
    Optional<String> named = gateway.namedSession(request);
    String session;
    if (r.previousResponseId().isPresent()) {
      ResponseId previous = resolve(r.previousResponseId().get(), "previous_response_id");
      if (named.isPresent() && !named.get().equals(previous.session())) {
        throw new Validation.Invalid(
            "session_mismatch",
            "previous_response_id belongs to another session than "
                + GatewayHandler.SESSION_HEADER
                + " names",
            "previous_response_id");
      }
      session = previous.session();
    } else {
      session = named.orElseGet(() -> "resp-" + UUID.randomUUID());
    }
    String model = gateway.modelFor(r.model());
    String requestId = gateway.requestIdOf(request);
    gateway.requireReady();
    String key = gateway.sessionKey(exchange, session);
    gateway.admit(exchange);
    int partition = feed.partitionOf(key);
    // Read before the prompt is sent: every chunk of the request comes at this offset or later.
    long from = feed.position(partition);
    ResponseId id =
        new ResponseId(
            session,
            requestId,
            partition,
            from,
            Instant.now().getEpochSecond(),
            model,
            r.store(),
            r.background());
    Prompt.Builder prompt =
        Prompt.newBuilder().setContent(r.prompt()).setRequestId(requestId).setModel(model);
    r.user().ifPresent(user -> prompt.setAttributes(Map.of(GatewayHandler.USER_ATTRIBUTE, user)));
    Map<String, String> headers =
        Map.of(GatewayHandler.SESSION_HEADER, session, GatewayHandler.REQUEST_ID_HEADER, requestId);
    exchange.headers(headers);
    ResponsesEvents events = new ResponsesEvents(id, instructions());
    if (r.background() && !r.stream()) {
      prompts
          .send(key, prompt.build())
          .whenComplete(
              (ok, error) -> {
                if (error != null) {
                  exchange.fail(GatewayHandler.notAccepted(error));
                } else {
                  exchange.respondJson(HttpResponseStatus.OK, events.response(), headers);
                }
              });
      return;
    }
    ResponsesWatcher watcher;
    if (r.stream()) {
      SseStream stream = exchange.stream(GatewayHandler.SESSION_HEADER, session);
      watcher = ResponsesWatcher.streaming(events, stream, -1);
      exchange.streaming();
      watcher.start();
    } else {
      watcher = answerAtEnd(ctx, exchange, events, headers);
    }
    // Subscribe before sending, so no chunk of the reply can pass before the watcher is there.
    ChunkFeed.Subscription sub =
        feed.subscribe(key, Optional.empty(), Optional.of(requestId), watcher);
    exchange.onEnd(sub::cancel);
    prompts
        .send(key, prompt.build())
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                watcher.fail(GatewayHandler.notAccepted(error));
                sub.cancel();
              }
            });
  }

  /** A watcher answering with the response once it ended, or an error; bounded by the timeout. */
  private ResponsesWatcher answerAtEnd(
      ChannelHandlerContext ctx,
      GatewayHandler.Exchange exchange,
      ResponsesEvents events,
      Map<String, String> headers) {
    ResponsesWatcher watcher =
        ResponsesWatcher.answering(
            events,
            true,
            ended -> {
              ApiError failure = ended.failure();
              if (failure != null) {
                exchange.fail(failure);
              } else {
                exchange.respondJson(HttpResponseStatus.OK, ended.response(), headers);
              }
            },
            exchange::fail);
    ScheduledFuture<?> deadline =
        ctx.executor()
            .schedule(
                () ->
                    watcher.fail(
                        ApiError.of(
                            HttpResponseStatus.GATEWAY_TIMEOUT,
                            "timeout",
                            "no end record within " + timeout.toMillis() + " ms")),
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
    exchange.onEnd(() -> deadline.cancel(false));
    return watcher;
  }

  private void retrieve(GatewayHandler.Exchange exchange, QueryStringDecoder uri, ResponseId id) {
    Map<String, List<String>> query = uri.parameters();
    boolean stream = false;
    long startingAfter = -1;
    for (Map.Entry<String, List<String>> p : query.entrySet()) {
      String value = p.getValue().isEmpty() ? "" : p.getValue().get(0);
      switch (p.getKey()) {
        case "stream" -> {
          if (!value.equals("true") && !value.equals("false")) {
            throw new Validation.Invalid("bad_stream", "'stream' must be true or false", "stream");
          }
          stream = value.equals("true");
        }
        case "starting_after" -> startingAfter = startingAfter(value);
        case "include", "include[]" ->
            throw ParameterRules.unsupported(
                p.getKey(),
                "'include' is not supported: Runnel returns no extra output data",
                null);
        case "include_obfuscation" -> {
          if (!value.equals("false")) {
            throw ParameterRules.unsupported(
                p.getKey(),
                "'include_obfuscation' is not supported: Runnel does not pad its events",
                "false");
          }
        }
        default ->
            throw ParameterRules.unsupported(
                p.getKey(), "'" + p.getKey() + "' is not a query parameter Runnel knows", null);
      }
    }
    if (!stream && query.containsKey("starting_after")) {
      throw new Validation.Invalid(
          "bad_starting_after", "'starting_after' needs stream=true", "starting_after");
    }
    gateway.requireReady();
    String key = gateway.sessionKey(exchange, id.session());
    if (feed.partitionOf(key) != id.partition()) {
      throw notFound("no response with id '" + Validation.shorten(id.encode()) + "'", null);
    }
    ResponsesEvents events = new ResponsesEvents(id, instructions());
    ResponsesWatcher watcher;
    SseStream sse = null;
    if (stream) {
      sse = exchange.stream(GatewayHandler.SESSION_HEADER, id.session());
      watcher = ResponsesWatcher.streaming(events, sse, startingAfter);
    } else {
      watcher =
          ResponsesWatcher.answering(
              events,
              false,
              now -> exchange.respondJson(HttpResponseStatus.OK, now.response(), Map.of()),
              exchange::fail);
    }
    ChunkFeed.Subscription sub = subscribeFromStart(key, id, watcher);
    exchange.onEnd(sub::cancel);
    if (sse != null) {
      exchange.streaming();
      watcher.start();
    }
  }

  private static long startingAfter(String value) {
    try {
      long n = Long.parseLong(value);
      if (n >= -1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new Validation.Invalid(
        "bad_starting_after",
        "'starting_after' must be a sequence number (an integer of at least -1), not '"
            + Validation.shorten(value)
            + "'",
        "starting_after");
  }

  /** Reads the response's chunks from its first possible offset: the topic, then live. */
  private ChunkFeed.Subscription subscribeFromStart(
      String key, ResponseId id, ResponsesWatcher watcher) {
    try {
      return feed.subscribe(
          key,
          Optional.of(new EventId(id.partition(), id.fromOffset() - 1)),
          Optional.of(id.requestId()),
          watcher);
    } catch (ChunkFeed.Busy e) {
      throw new GatewayHandler.Failure(
          ApiError.of(HttpResponseStatus.SERVICE_UNAVAILABLE, "resume_busy", e.getMessage())
              .retryAfter(e.retryAfterSeconds()));
    }
  }

  private void cancel(ChannelHandlerContext ctx, GatewayHandler.Exchange exchange, ResponseId id) {
    if (!id.background()) {
      throw new Validation.Invalid(
          "not_background", "only a response created with background: true can be cancelled");
    }
    gateway.requireReady();
    String key = gateway.sessionKey(exchange, id.session());
    if (feed.partitionOf(key) != id.partition()) {
      throw notFound("no response with id '" + Validation.shorten(id.encode()) + "'", null);
    }
    cancellations
        .cancel(key, id.requestId(), "cancelled through POST /v1/responses/{id}/cancel")
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                exchange.fail(GatewayHandler.notAccepted(error));
                return;
              }
              // The answer is the response as it ended: cancelled, or finished before the
              // cancellation reached it.
              ResponsesWatcher watcher =
                  ResponsesWatcher.answering(
                      new ResponsesEvents(id, instructions()),
                      true,
                      ended ->
                          exchange.respondJson(HttpResponseStatus.OK, ended.response(), Map.of()),
                      exchange::fail);
              try {
                ChunkFeed.Subscription sub = subscribeFromStart(key, id, watcher);
                exchange.onEnd(sub::cancel);
              } catch (GatewayHandler.Failure f) {
                exchange.fail(f.error);
                return;
              }
              ScheduledFuture<?> deadline =
                  ctx.executor()
                      .schedule(
                          () ->
                              watcher.fail(
                                  ApiError.of(
                                      HttpResponseStatus.GATEWAY_TIMEOUT,
                                      "timeout",
                                      "the cancellation was sent, but no end record came within "
                                          + timeout.toMillis()
                                          + " ms")),
                          timeout.toMillis(),
                          TimeUnit.MILLISECONDS);
              exchange.onEnd(() -> deadline.cancel(false));
            });
  }
}
