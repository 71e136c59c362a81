package dev.runnel.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A streaming call failed. The {@link Kind} decides whether Runnel retries it; {@link
 * #retryAfter()} carries the server's Retry-After when it sent one.
 */
public class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, and whether trying again may help. */
  public enum Kind {
    /** Could not connect, or the connection broke before a response. */
    CONNECTION(true),
    /** A connect, first-token, between-token or total timeout ran out. */
    TIMEOUT(true),
    /** HTTP 429 (rate limit). */
    RATE_LIMITED(true),
    /** The provider is overloaded (Anthropic's overloaded_error, HTTP 529). */
    OVERLOADED(true),
    /** HTTP 5xx or an error the server reported as its own fault. */
    SERVER_ERROR(true),
    /** The stream ended or was reset before the final event. */
    STREAM_DROPPED(true),
    /** HTTP 408 (the server timed the request out). */
    REQUEST_TIMEOUT(true),
    /** HTTP 400 or 422: the request itself is wrong. */
    BAD_REQUEST(false),
    /** HTTP 401: missing or wrong credentials. */
    AUTHENTICATION(false),
    /** HTTP 403. */
    PERMISSION(false),
    /** HTTP 404: unknown model or path. */
    NOT_FOUND(false),
    /** Billing quota exhausted (OpenAI's insufficient_quota). */
    QUOTA_EXCEEDED(false),
    /** The provider refused the content. */
    CONTENT_FILTER(false),
    /** The server sent something that does not follow its protocol. */
    PROTOCOL(false),
    /** The call was cancelled by its caller. */
    CANCELLED(false);

    private final boolean retriable;

    Kind(boolean retriable) {
      this.retriable = retriable;
    }

    public boolean retriable() {
      return retriable;
    }
  }

  private final Kind kind;
  private final transient Duration retryAfter;

  public ModelException(Kind kind, String message) {
    this(kind, message, null, null);
  }

  public ModelException(Kind kind, String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.retryAfter = retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  public boolean retriable() {
    return kind.retriable();
  }

  /** The wait the server asked for, if it sent Retry-After. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
