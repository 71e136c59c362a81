package dev.runnel.model.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * The one place that turns what a model server reports (HTTP status, an error object's type or
 * code, Retry-After) into a {@link ModelException}. Shared by every provider, because
 * OpenAI-compatible gateways pass Anthropic-style errors through and the other way round.
 */
public final class ModelErrors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_MESSAGE_CHARS = 500;

  private ModelErrors() {}

  /**
   * The kind an HTTP status means. 409 counts as retriable: the providers' own SDKs retry it (a
   * lock or conflict on their side). Any other 4xx is the request's fault, any other 5xx the
   * server's.
   */
  public static Kind kindForStatus(int status) {
    return switch (status) {
      case 400, 413, 422 -> Kind.BAD_REQUEST;
      case 401 -> Kind.AUTHENTICATION;
      case 402 -> Kind.QUOTA_EXCEEDED;
      case 403 -> Kind.PERMISSION;
      case 404 -> Kind.NOT_FOUND;
      case 408 -> Kind.REQUEST_TIMEOUT;
      case 409 -> Kind.SERVER_ERROR;
      case 429 -> Kind.RATE_LIMITED;
      case 529 -> Kind.OVERLOADED;
      default -> {
        if (status >= 500 && status <= 599) {
          yield Kind.SERVER_ERROR;
        } else if (status >= 400 && status <= 499) {
          yield Kind.BAD_REQUEST;
        } else {
          yield Kind.PROTOCOL;
        }
      }
    };
  }

  /**
   * The kind an error object's {@code type} or {@code code} names (OpenAI's {@code
   * insufficient_quota}, {@code server_error}, ...; Anthropic's {@code overloaded_error}, {@code
   * api_error}, ...), or empty when neither is one Runnel knows.
   */
  public static Optional<Kind> kindForErrorType(String type) {
    if (type == null || type.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(
        switch (type.toLowerCase(Locale.ROOT)) {
          case "insufficient_quota", "billing_error", "billing_not_active" -> Kind.QUOTA_EXCEEDED;
          case "rate_limit_exceeded", "rate_limit_error", "tokens", "requests" -> Kind.RATE_LIMITED;
          case "overloaded_error", "overloaded", "engine_overloaded" -> Kind.OVERLOADED;
          case "server_error", "api_error", "internal_error", "internal_server_error" ->
              Kind.SERVER_ERROR;
          case "timeout_error", "timeout" -> Kind.REQUEST_TIMEOUT;
          case "invalid_request_error",
              "badrequesterror",
              "context_length_exceeded",
              "request_too_large" ->
              Kind.BAD_REQUEST;
          case "authentication_error", "invalid_api_key" -> Kind.AUTHENTICATION;
          case "permission_error" -> Kind.PERMISSION;
          case "not_found_error", "model_not_found" -> Kind.NOT_FOUND;
          case "content_filter", "content_policy_violation" -> Kind.CONTENT_FILTER;
          default -> null;
        });
  }

  /**
   * A failed HTTP response: status, its body (an error object, if any), and Retry-After. The error
   * object's code or type refines the status (a 429 with {@code insufficient_quota} is a quota
   * error, not a rate limit).
   */
  public static ModelException forResponse(
      int status, String body, Optional<String> retryAfterHeader) {
    ErrorObject error = parseErrorObject(body);
    Kind kind =
        error
            .code()
            .flatMap(ModelErrors::kindForErrorType)
            .or(() -> error.type().flatMap(ModelErrors::kindForErrorType))
            .filter(k -> refines(status, k))
            .orElse(kindForStatus(status));
    String message =
        "HTTP " + status + " (" + kind + ")" + error.describe().map(d -> ": " + d).orElse("");
    return new ModelException(
        kind, message, retryAfterHeader.flatMap(ModelErrors::parseRetryAfter).orElse(null), null);
  }

  /**
   * A 200 response that is not an event stream: some gateways answer a streaming request that
   * failed with a plain JSON error object and status 200.
   */
  public static ModelException forNonStreamBody(String contentType, String body) {
    try {
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        return forStreamError(error);
      }
    } catch (IOException notJson) {
      // Falls through to the protocol error below.
    }
    return new ModelException(
        Kind.PROTOCOL,
        "expected text/event-stream, got '" + contentType + "': " + abbreviate(body));
  }

  /** An error object that arrived inside an open stream. Unknown types count as server errors. */
  public static ModelException forStreamError(JsonNode errorNode) {
    ErrorObject error = fromNode(errorNode);
    Kind kind =
        error
            .code()
            .flatMap(ModelErrors::kindForErrorType)
            .or(() -> error.type().flatMap(ModelErrors::kindForErrorType))
            .or(() -> error.numericCode().map(ModelErrors::kindForStatus))
            .orElse(Kind.SERVER_ERROR);
    return new ModelException(
        kind,
        "error event in the stream ("
            + kind
            + ")"
            + error.describe().map(d -> ": " + d).orElse(""));
  }

  // A body's type may only move a status to a kind of the same family: a 500 that calls itself
  // invalid_request_error stays a server error, so a broken server cannot stop retries.
  private static boolean refines(int status, Kind kind) {
    boolean serverSide = status >= 500 || status == 429 || status == 408 || status == 409;
    return status == 429 || kind.retriable() == serverSide;
  }

  /**
   * Retry-After as delta-seconds or an HTTP-date (RFC 9110 section 10.2.3); a date in the past
   * means zero; anything else is ignored.
   */
  public static Optional<Duration> parseRetryAfter(String value) {
    String v = value.trim();
    if (v.isEmpty()) {
      return Optional.empty();
    }
    if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
      } catch (NumberFormatException tooLarge) {
        return Optional.empty();
      }
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration wait = Duration.between(Instant.now(), at);
      return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
    } catch (DateTimeParseException notADate) {
      return Optional.empty();
    }
  }

  private static ErrorObject parseErrorObject(String body) {
    if (body == null || body.isBlank()) {
      return ErrorObject.EMPTY;
    }
    try {
      JsonNode root = JSON.readTree(body);
      JsonNode error = root.path("error");
      if (error.isObject()) {
        return fromNode(error);
      }
      if (error.isTextual()) {
        return new ErrorObject(null, null, error.asText());
      }
      return new ErrorObject(null, null, abbreviate(body));
    } catch (IOException notJson) {
      return new ErrorObject(null, null, abbreviate(body));
    }
  }

  private static ErrorObject fromNode(JsonNode error) {
    JsonNode code = error.path("code");
    return new ErrorObject(
        textOrNull(error.path("type")),
        code.isValueNode() && !code.isNull() ? code.asText() : null,
        textOrNull(error.path("message")));
  }

  private static String textOrNull(JsonNode node) {
    return node.isValueNode() && !node.isNull() ? node.asText() : null;
  }

  private static String abbreviate(String s) {
    String oneLine = s.strip().replaceAll("\\s+", " ");
    return oneLine.length() <= MAX_MESSAGE_CHARS
        ? oneLine
        : oneLine.substring(0, MAX_MESSAGE_CHARS) + "...";
  }

  private record ErrorObject(String rawType, String rawCode, String message) {
    static final ErrorObject EMPTY = new ErrorObject(null, null, null);

    Optional<String> type() {
      return Optional.ofNullable(rawType);
    }

    Optional<String> code() {
      return Optional.ofNullable(rawCode).filter(c -> !c.chars().allMatch(Character::isDigit));
    }

    Optional<Integer> numericCode() {
      return Optional.ofNullable(rawCode)
          .filter(c -> !c.isEmpty() && c.length() <= 3 && c.chars().allMatch(Character::isDigit))
          .map(Integer::parseInt);
    }

    Optional<String> describe() {
      StringBuilder sb = new StringBuilder();
      if (message != null) {
        sb.append(abbreviate(message));
      }
      if (rawType != null || rawCode != null) {
        sb.append(sb.length() > 0 ? " " : "").append('[');
        sb.append(rawType == null ? "" : "type=" + rawType);
        sb.append(rawType != null && rawCode != null ? ", " : "");
        sb.append(rawCode == null ? "" : "code=" + rawCode);
        sb.append(']');
      }
      return sb.length() == 0 ? Optional.empty() : Optional.of(sb.toString());
    }
  }
}
