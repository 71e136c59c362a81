package dev.runnel.gateway.internal;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Asks topology instances' state-query endpoints ({@code GET /sessions/{id}}) for a session's
 * state, starting with a different instance each time and trying the next on a connection error or
 * 503, so one instance down or rebalancing does not fail the query.
 */
final class StateClient {
  /** The answer of the instance that answered: status and JSON body. */
  record Answer(int status, String body) {}

  private final List<String> baseUrls;
  private final Duration timeout;
  private final HttpClient client;
  private final AtomicInteger next = new AtomicInteger();

  StateClient(List<String> baseUrls, Duration timeout) {
    this.baseUrls = baseUrls.stream().map(u -> u.replaceAll("/+$", "")).toList();
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  boolean configured() {
    return !baseUrls.isEmpty();
  }

  CompletableFuture<Answer> get(String sessionId) {
    int start = Math.floorMod(next.getAndIncrement(), baseUrls.size());
    return attempt(sessionId, start, 0, null);
  }

  private CompletableFuture<Answer> attempt(String sessionId, int start, int tried, Answer last) {
    if (tried == baseUrls.size()) {
      return CompletableFuture.completedFuture(
          last != null
              ? last
              : new Answer(
                  503,
                  Json.write(
                      Json.error(
                          "state_unavailable",
                          "no topology instance answered at " + baseUrls,
                          "server_error"))));
    }
    String base = baseUrls.get((start + tried) % baseUrls.size());
    URI uri =
        URI.create(
            base
                + "/sessions/"
                + URLEncoder.encode(sessionId, StandardCharsets.UTF_8).replace("+", "%20"));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, error) -> {
              if (error == null && response.statusCode() != 503) {
                return CompletableFuture.completedFuture(
                    new Answer(response.statusCode(), response.body()));
              }
              Answer answer = error == null ? new Answer(503, response.body()) : last;
              return attempt(sessionId, start, tried + 1, answer);
            })
        .thenCompose(f -> f);
  }
}
