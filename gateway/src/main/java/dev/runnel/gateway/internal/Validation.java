package dev.runnel.gateway.internal;

import java.util.regex.Pattern;

/** The rules for values a client sends; each failure names the value and the rule. */
final class Validation {
  static final int MAX_ID_LENGTH = 128;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@-]{1," + MAX_ID_LENGTH + "}");

  private Validation() {}

  /** Thrown for a value that breaks a rule; the gateway answers 400 with its code and message. */
  static final class Invalid extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String code;
    final String param;

    Invalid(String code, String message) {
      this(code, message, null);
    }

    /** A bad value of the request field {@code param}, which the error names. */
    Invalid(String code, String message, String param) {
      super(message, null, false, false);
      this.code = code;
      this.param = param;
    }
  }

  static String sessionId(String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw new Invalid(
          "bad_session_id",
          "session id "
              + quote(value)
              + " must be 1 to "
              + MAX_ID_LENGTH
              + " characters of A-Z a-z 0-9 . _ : @ -");
    }
    return value;
  }

  static String requestId(String value) {
    if (value == null || !ID.matcher(value).matches()) {
      throw new Invalid(
          "bad_idempotency_key",
          "Idempotency-Key "
              + quote(value)
              + " must be 1 to "
              + MAX_ID_LENGTH
              + " characters of A-Z a-z 0-9 . _ : @ -");
    }
    return value;
  }

  static String prompt(String value, int maxChars) {
    if (value == null || value.isBlank()) {
      throw new Invalid("empty_prompt", "the prompt is empty");
    }
    if (value.length() > maxChars) {
      throw new Invalid(
          "prompt_too_long",
          "the prompt has " + value.length() + " characters; at most " + maxChars + " are allowed");
    }
    return value;
  }

  /** {@code value}, cut to 40 characters, to name it in an error without echoing a huge input. */
  static String shorten(String value) {
    return value.length() > 40 ? value.substring(0, 40) + "..." : value;
  }

  private static String quote(String value) {
    if (value == null) {
      return "(none)";
    }
    String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
    return "'" + shown + "'";
  }
}
