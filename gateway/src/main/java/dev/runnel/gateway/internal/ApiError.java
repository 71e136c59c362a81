package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.ErrorInfo;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * An answer other than success, in OpenAI's error shape: {@code
 * {"error":{"message":..,"type":..,"param":..,"code":..}}} with an HTTP status ({@code param} names
 * the request field at fault, else null). The OpenAI SDKs retry 408, 409, 429 and every 5xx unless
 * the response says {@code x-should-retry: false}, so a failure that another try cannot fix says
 * so.
 */
record ApiError(
    HttpResponseStatus status,
    String code,
    String type,
    String message,
    OptionalInt retryAfterSeconds,
    boolean worthRetrying,
    String param) {

  /** HTTP 499, as gRPC's HTTP mapping answers CANCELLED; no SDK retries it. */
  static final HttpResponseStatus CANCELLED = new HttpResponseStatus(499, "Request Cancelled");

  /** Seconds a client is asked to wait after a rate limit or an overload that outlasted retries. */
  static final int MODEL_RETRY_AFTER_SECONDS = 5;

  ApiError(
      HttpResponseStatus status,
      String code,
      String type,
      String message,
      OptionalInt retryAfterSeconds,
      boolean worthRetrying) {
    this(status, code, type, message, retryAfterSeconds, worthRetrying, null);
  }

  /** An error of the gateway itself; its type follows from the status. */
  static ApiError of(HttpResponseStatus status, String code, String message) {
    int s = status.code();
    return new ApiError(
        status, code, typeOf(s), message, OptionalInt.empty(), s == 408 || s == 429 || s >= 500);
  }

  /** The same error asking the client to come back after {@code seconds}. */
  ApiError retryAfter(int seconds) {
    return new ApiError(status, code, type, message, OptionalInt.of(seconds), worthRetrying, param);
  }

  /** The same error naming {@code field} of the request as the one at fault. */
  ApiError param(String field) {
    return new ApiError(status, code, type, message, retryAfterSeconds, worthRetrying, field);
  }

  private static String typeOf(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  /**
   * A request that ended with an error end record. The processor already retried what was
   * retriable, so the status tells an SDK whether one more try of the whole request may help: the
   * model's 400 is the caller's 400; Runnel's own credentials or quota are a server fault no retry
   * fixes ({@code x-should-retry: false}); rate limits and overloads ask to come back later.
   */
  static ApiError ofModel(ErrorInfo error) {
    String kind = error.getKind();
    String code = kind.toLowerCase(Locale.ROOT);
    String message = error.getMessage();
    return switch (kind) {
      case "BAD_REQUEST", "CONTENT_FILTER" ->
          new ApiError(
              HttpResponseStatus.BAD_REQUEST,
              code,
              "invalid_request_error",
              message,
              OptionalInt.empty(),
              false);
      case "NOT_FOUND" ->
          new ApiError(
              HttpResponseStatus.NOT_FOUND,
              code,
              "not_found_error",
              message,
              OptionalInt.empty(),
              false);
      case "RATE_LIMITED" ->
          new ApiError(
              HttpResponseStatus.TOO_MANY_REQUESTS,
              code,
              "rate_limit_error",
              message,
              OptionalInt.of(MODEL_RETRY_AFTER_SECONDS),
              true);
      case "OVERLOADED" ->
          new ApiError(
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              code,
              "server_error",
              message,
              OptionalInt.of(MODEL_RETRY_AFTER_SECONDS),
              true);
      case "TIMEOUT", "REQUEST_TIMEOUT" ->
          new ApiError(
              HttpResponseStatus.GATEWAY_TIMEOUT,
              code,
              "server_error",
              message,
              OptionalInt.empty(),
              true);
      case "CONNECTION", "SERVER_ERROR", "STREAM_DROPPED" ->
          new ApiError(
              HttpResponseStatus.BAD_GATEWAY,
              code,
              "server_error",
              message,
              OptionalInt.empty(),
              true);
      case "CANCELLED" -> cancelled(message);
      default ->
          // Runnel's credentials, permissions or quota at the model, a protocol fault, a failed
          // action: the same request fails the same way again.
          new ApiError(
              kind.equals("PROTOCOL")
                  ? HttpResponseStatus.BAD_GATEWAY
                  : HttpResponseStatus.INTERNAL_SERVER_ERROR,
              code,
              "server_error",
              message,
              OptionalInt.empty(),
              false);
    };
  }

  /** A request stopped through the cancellations topic: not a reply, and not worth retrying. */
  static ApiError cancelled(String message) {
    return new ApiError(
        CANCELLED, "cancelled", "request_cancelled", message, OptionalInt.empty(), false);
  }

  /** The JSON body. */
  ObjectNode body() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.putObject("error")
        .put("message", message)
        .put("type", type)
        .put("param", param)
        .put("code", code);
    return root;
  }
}
