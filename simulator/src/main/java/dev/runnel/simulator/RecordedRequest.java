package dev.runnel.simulator;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A request the simulator received, and what became of its connection.
 *
 * <p>Header names are lower-case. Credentials are kept as sent (tests check them); the simulator
 * never logs them.
 */
public final class RecordedRequest {
  private final String method;
  private final String path;
  private final Map<String, List<String>> headers;
  private final String body;
  private final String prompt;
  private volatile boolean responseFinished;
  private volatile boolean clientDisconnected;

  RecordedRequest(
      String method, String path, Map<String, List<String>> headers, String body, String prompt) {
    this.method = method;
    this.path = path;
    this.headers = headers;
    this.body = body;
    this.prompt = prompt;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  public Map<String, List<String>> headers() {
    return headers;
  }

  public Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** The JSON body as received. */
  public String body() {
    return body;
  }

  /** The content of the last user message, the text the reply is seeded from. */
  public String prompt() {
    return prompt;
  }

  /** The simulator sent the whole response. */
  public boolean responseFinished() {
    return responseFinished;
  }

  /** The client closed the connection before the response was whole (a cancel or a timeout). */
  public boolean clientDisconnected() {
    return clientDisconnected;
  }

  void markFinished() {
    responseFinished = true;
  }

  void markClientDisconnected() {
    clientDisconnected = true;
  }

  @Override
  public String toString() {
    return method
        + " "
        + path
        + " finished="
        + responseFinished
        + " disconnected="
        + clientDisconnected;
  }
}
