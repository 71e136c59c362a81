package dev.runnel.model.internal;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of text that leaves a model call: error messages (which reach the chunks topic,
 * session state, dead letters, logs and gateway clients) and log lines. A URL loses its userinfo
 * ({@code user:password@}) and its query string (where some endpoints take {@code ?key=}); the
 * exact secrets a client holds (key, password, query values) are masked wherever they appear, for a
 * server that echoes them in an error body.
 */
public final class Redaction {
  static final String MASK = "***";

  // The JDK and servers quote URLs inside longer text, so these find them anywhere.
  private static final Pattern USER_INFO =
      Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^\\s/@?#'\"<>]*@");
  private static final Pattern QUERY =
      Pattern.compile("(?i)(\\b[a-z][a-z0-9+.-]*://[^\\s?#'\"<>]*)\\?[^\\s#'\"<>]*");

  /** Masks no exact secrets, only URLs' userinfo and query strings. */
  public static final Redaction URLS = new Redaction(List.of());

  private final List<String> secrets;

  private Redaction(List<String> secrets) {
    this.secrets = secrets;
  }

  /** Also masks each of {@code secrets} (empty or blank ones are ignored). */
  public static Redaction of(Collection<String> secrets) {
    return new Redaction(
        secrets.stream()
            .filter(s -> s != null && !s.isBlank())
            .distinct()
            // Longest first, so a secret that contains another is masked whole.
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList());
  }

  /** {@code text} with its URLs' userinfo and query strings and every known secret masked. */
  public String apply(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String secret : secrets) {
      out = out.replace(secret, MASK);
    }
    out = USER_INFO.matcher(out).replaceAll("$1" + MASK + "@");
    return QUERY.matcher(out).replaceAll("$1?" + MASK);
  }

  /**
   * A URL fit for a message or a log: userinfo and query string masked. Everything up to the last
   * {@code @} counts as userinfo, so a password with characters a URL may not hold (one that makes
   * the URL invalid) is masked too.
   */
  public static String url(String url) {
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    return URLS.apply(
        scheme >= 0 && at > scheme ? url.substring(0, scheme + 3) + MASK + url.substring(at) : url);
  }

  /**
   * A copy of {@code error} fit to be logged or kept as a cause: its message (and its causes')
   * masked, its stack trace kept.
   */
  public Throwable apply(Throwable error) {
    if (error == null) {
      return null;
    }
    Throwable copy = new Redacted(apply(error.toString()), apply(error.getCause()));
    copy.setStackTrace(error.getStackTrace());
    return copy;
  }

  /** Stands in for an exception whose message may hold a secret. */
  private static final class Redacted extends Exception {
    private static final long serialVersionUID = 1L;

    Redacted(String description, Throwable cause) {
      super(description, cause);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }
}
