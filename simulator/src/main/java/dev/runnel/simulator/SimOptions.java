package dev.runnel.simulator;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One request's options: {@code key=value} pairs separated by {@code ;}, {@code ,} or spaces. */
final class SimOptions {
  static final Pattern PROMPT_DIRECTIVE = Pattern.compile("\\[\\[sim ([^\\]]*)\\]\\]");
  static final Set<String> KEYS =
      Set.of(
          "fault",
          "retry_after",
          "after",
          "error_type",
          "ttft_ms",
          "tps",
          "tokens",
          "duration_ms",
          "split",
          "wire",
          "tool");
  static final Set<String> FAULTS =
      Set.of(
          "none",
          "rate_limit",
          "server_error",
          "unavailable",
          "overloaded",
          "bad_request",
          "unauthorized",
          "quota",
          "refuse",
          "reset",
          "stall",
          "truncate",
          "malformed",
          "error_event");

  private final Map<String, String> values = new LinkedHashMap<>();

  static SimOptions parse(String spec) {
    SimOptions options = new SimOptions();
    options.merge(spec);
    return options;
  }

  /** Adds the pairs of {@code spec}, replacing earlier values; rejects unknown keys and faults. */
  void merge(String spec) {
    if (spec == null) {
      return;
    }
    for (String pair : spec.trim().split("[;,\\s]+")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("simulator option '" + pair + "' is not key=value");
      }
      String key = pair.substring(0, eq).toLowerCase(Locale.ROOT);
      String value = pair.substring(eq + 1);
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown simulator option '" + key + "'; known: " + KEYS.stream().sorted().toList());
      }
      if (key.equals("fault") && !FAULTS.contains(value)) {
        throw new IllegalArgumentException(
            "unknown simulator fault '" + value + "'; known: " + FAULTS.stream().sorted().toList());
      }
      values.put(key, value);
    }
  }

  /** The pairs of a {@code [[sim ...]]} directive in the prompt, if it has one. */
  static String directiveIn(String prompt) {
    Matcher m = PROMPT_DIRECTIVE.matcher(prompt);
    return m.find() ? m.group(1) : null;
  }

  String fault() {
    return values.getOrDefault("fault", "none");
  }

  String string(String key, String fallback) {
    return values.getOrDefault(key, fallback);
  }

  long longValue(String key, long fallback) {
    String v = values.get(key);
    try {
      return v == null ? fallback : Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("simulator option " + key + "=" + v + " is not a number");
    }
  }

  double doubleValue(String key, double fallback) {
    String v = values.get(key);
    try {
      return v == null ? fallback : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("simulator option " + key + "=" + v + " is not a number");
    }
  }

  boolean has(String key) {
    return values.containsKey(key);
  }

  Duration millis(String key, Duration fallback) {
    return has(key) ? Duration.ofMillis(longValue(key, 0)) : fallback;
  }
}
