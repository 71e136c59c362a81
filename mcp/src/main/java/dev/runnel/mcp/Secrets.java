package dev.runnel.mcp;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The values a connection was given in confidence (the stdio server's environment, HTTP header
 * values, a URL's credentials), cut out of every message this module writes: its exceptions, the
 * copies of their causes and its log lines. Values shorter than {@value #MIN_LENGTH} characters are
 * left as they are, since cutting "1" or "on" out of every message would make them unreadable and
 * such values are no secrets.
 */
final class Secrets {
  static final int MIN_LENGTH = 4;
  static final String MASK = "***";
  private static final int MAX_CAUSES = 16;

  private final List<String> values;

  Secrets(Collection<String> values) {
    this.values =
        values.stream()
            .filter(Objects::nonNull)
            .filter(v -> v.length() >= MIN_LENGTH)
            .distinct()
            // Longest first, so that a secret holding another is cut whole.
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
  }

  String redact(String text) {
    if (text == null) {
      return null;
    }
    String result = text;
    for (String value : values) {
      result = result.replace(value, MASK);
    }
    return result;
  }

  /**
   * A copy of {@code cause} and its causes with their messages redacted, so that a logged stack
   * trace shows where it failed but not what it was given; each copy keeps its original's class
   * name and stack trace.
   */
  RuntimeException redactedCopy(Throwable cause) {
    return copy(cause, 0);
  }

  private Redacted copy(Throwable t, int depth) {
    Throwable next = t.getCause();
    Redacted copiedCause =
        next == null || next == t || depth >= MAX_CAUSES ? null : copy(next, depth + 1);
    String message = t.getMessage() == null ? "" : ": " + redact(t.getMessage());
    Redacted copy = new Redacted(t.getClass().getName() + message, copiedCause);
    copy.setStackTrace(t.getStackTrace());
    return copy;
  }

  /** A redacted cause; prints as its original would, with the secrets cut out. */
  private static final class Redacted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Redacted(String text, Redacted cause) {
      super(text, cause, false, true);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }
}
