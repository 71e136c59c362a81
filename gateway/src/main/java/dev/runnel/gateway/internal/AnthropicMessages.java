package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Prompt;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The Anthropic Messages API ({@code POST /v1/messages}, streaming and not) over Runnel's sessions,
 * named as for Chat Completions ({@code X-Runnel-Session}, else a new session per request). Every
 * error is in Anthropic's shape ({@link #errorBody}).
 */
final class AnthropicMessages {
  static final String PATH = "/v1/messages";

  private final GatewayHandler gateway;
  private final ChunkFeed feed;
  private final PromptSender prompts;
  private final int promptMaxChars;
  private final ModelLimits limits;
  private final Duration timeout;

  AnthropicMessages(
      GatewayHandler gateway,
      ChunkFeed feed,
      PromptSender prompts,
      int promptMaxChars,
      ModelLimits limits,
      Duration timeout) {
    this.gateway = gateway;
    this.feed = feed;
    this.prompts = prompts;
    this.promptMaxChars = promptMaxChars;
    this.limits = limits;
    this.timeout = timeout;
  }

  /**
   * {@code {"type":"error","error":{"type":..,"message":..}}}, the type following Anthropic's from
   * the status (Anthropic's errors carry no code or param, so the message names the field).
   */
  static ObjectNode errorBody(ApiError error) {
    ObjectNode root = Json.MAPPER.createObjectNode().put("type", "error");
    root.putObject("error")
        .put("type", typeOf(error.status().code()))
        .put("message", message(error));
    return root;
  }

  private static String message(ApiError error) {
    return error.param() == null || error.message().contains("'" + error.param() + "'")
        ? error.message()
        : error.param() + ": " + error.message();
  }

  private static String typeOf(int status) {
    return switch (status) {
      case 400, 405, 409, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      case 504 -> "timeout_error";
      default -> "api_error";
    };
  }

  void create(
      ChannelHandlerContext ctx, GatewayHandler.Exchange exchange, FullHttpRequest request) {
    AnthropicRequest r = AnthropicRequest.parse(gateway.body(request), promptMaxChars, limits);
    String session = gateway.namedSession(request).orElseGet(() -> "msg-" + UUID.randomUUID());
    String model = gateway.modelFor(r.model());
    String requestId = gateway.requestIdOf(request);
    gateway.requireReady();
    String key = gateway.sessionKey(exchange, session);
    gateway.admit(exchange);
    Prompt.Builder prompt =
        Prompt.newBuilder().setContent(r.prompt()).setRequestId(requestId).setModel(model);
    r.user().ifPresent(user -> prompt.setAttributes(Map.of(GatewayHandler.USER_ATTRIBUTE, user)));
    Map<String, String> headers =
        Map.of(GatewayHandler.SESSION_HEADER, session, GatewayHandler.REQUEST_ID_HEADER, requestId);
    exchange.headers(headers);
    AnthropicEvents events = new AnthropicEvents(requestId, model);
    AnthropicWatcher watcher;
    if (r.stream()) {
      SseStream stream = exchange.stream(GatewayHandler.SESSION_HEADER, session);
      watcher = AnthropicWatcher.streaming(events, stream);
      exchange.streaming();
      watcher.start();
    } else {
      watcher =
          AnthropicWatcher.whole(
              events,
              ended -> exchange.respondJson(HttpResponseStatus.OK, ended.message(), headers),
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
}
