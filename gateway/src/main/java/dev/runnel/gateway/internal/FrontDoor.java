package dev.runnel.gateway.internal;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides, before any route runs, whether a request may act and for which tenant: a request from a
 * foreign Origin is refused (403) whatever its content type, so a cross-site {@code text/plain}
 * POST produces nothing; then the API key ({@code Authorization: Bearer} or Anthropic's {@code
 * x-api-key}) names the tenant, or the request is answered 401. Keys are never echoed or logged.
 */
public final class FrontDoor {
  /** What a request may do: its tenant, and the CORS headers its answer carries. */
  record Caller(String tenant, Map<String, String> corsHeaders) {}

  private static final String ALLOWED_HEADERS =
      "Authorization, x-api-key, Content-Type, Idempotency-Key, Last-Event-ID, X-Runnel-Session,"
          + " anthropic-version";

  private final Optional<ApiKeys> keys;
  private final Set<String> allowedOrigins;

  /** Keys mode with {@code keys}, or open mode when empty; {@code allowedOrigins} for CORS. */
  public FrontDoor(Optional<ApiKeys> keys, List<String> allowedOrigins) {
    this.keys = keys;
    this.allowedOrigins = Set.copyOf(allowedOrigins);
  }

  boolean open() {
    return keys.isEmpty();
  }

  /**
   * The CORS headers for {@code request}'s Origin, or a 403 for a foreign one. A request without
   * Origin (curl, SDKs, same-origin GETs) and a same-origin one get none.
   */
  Map<String, String> checkOrigin(FullHttpRequest request) {
    String origin = request.headers().get(HttpHeaderNames.ORIGIN);
    if (origin == null) {
      return Map.of();
    }
    if (allowedOrigins.contains(origin)) {
      Map<String, String> cors = new HashMap<>();
      cors.put("Access-Control-Allow-Origin", origin);
      cors.put("Vary", "Origin");
      cors.put(
          "Access-Control-Expose-Headers",
          "X-Runnel-Session, X-Runnel-Request-Id, Retry-After, x-should-retry");
      return cors;
    }
    String host = request.headers().get(HttpHeaderNames.HOST);
    if (host != null && (origin.equals("http://" + host) || origin.equals("https://" + host))) {
      return Map.of();
    }
    throw new GatewayHandler.Failure(
        HttpResponseStatus.FORBIDDEN,
        "origin_not_allowed",
        "requests from the Origin '"
            + Validation.shorten(origin)
            + "' are not allowed (runnel.gateway.cors.allowed.origins lists the allowed ones)");
  }

  /** The answer to a CORS preflight ({@code OPTIONS} with an Origin), if it is one. */
  Optional<Map<String, String>> preflight(FullHttpRequest request, Map<String, String> cors) {
    if (!request.method().equals(HttpMethod.OPTIONS) || cors.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> headers = new HashMap<>(cors);
    headers.put("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    headers.put("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    headers.put("Access-Control-Max-Age", "600");
    return Optional.of(headers);
  }

  /** The tenant of the request's key; open mode's one tenant; else a 401. */
  String tenantOf(FullHttpRequest request) {
    if (keys.isEmpty()) {
      return Tenancy.OPEN_TENANT;
    }
    String presented = request.headers().get("x-api-key");
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (presented == null && authorization != null) {
      if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        presented = authorization.substring(7).strip();
      }
    }
    if (presented == null || presented.isEmpty()) {
      throw new GatewayHandler.Failure(
          HttpResponseStatus.UNAUTHORIZED,
          "missing_api_key",
          "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'");
    }
    return keys.get()
        .tenantOf(presented)
        .orElseThrow(
            () ->
                new GatewayHandler.Failure(
                    HttpResponseStatus.UNAUTHORIZED,
                    "invalid_api_key",
                    "the API key is not valid"));
  }
}
