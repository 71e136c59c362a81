package dev.runnel.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;

/**
 * Reads a server-sent event stream without a thread of its own (a line subscriber on the JDK
 * client), recording every event with its id, and whether it saw the ": subscribed" comment.
 */
final class SseRecorder implements Flow.Subscriber<String> {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One event. */
  record Event(String id, String data) {
    JsonNode json() {
      try {
        return JSON.readTree(data);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  final List<Event> events = new CopyOnWriteArrayList<>();
  final CompletableFuture<Void> ended = new CompletableFuture<>();
  volatile boolean subscribed;
  volatile int status;
  private Flow.Subscription subscription;
  private String id;
  private final StringBuilder data = new StringBuilder();

  /** Opens {@code uri} with the given header name/value pairs and records its events. */
  static SseRecorder open(HttpClient client, URI uri, String... headers) {
    SseRecorder recorder = new SseRecorder();
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    client
        .sendAsync(request.GET().build(), HttpResponse.BodyHandlers.fromLineSubscriber(recorder))
        .whenComplete(
            (response, error) -> {
              if (error != null) {
                recorder.ended.completeExceptionally(error);
              } else {
                recorder.status = response.statusCode();
              }
            });
    return recorder;
  }

  /** The concatenated deltas (for an events stream of one attempt). */
  String text() {
    StringBuilder text = new StringBuilder();
    for (Event e : events) {
      text.append(e.json().path("delta").asText());
    }
    return text.toString();
  }

  boolean sawEnd() {
    return events.stream()
        .anyMatch(e -> e.data().startsWith("{") && e.json().path("end").asBoolean());
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(String line) {
    if (line.isEmpty()) {
      if (data.length() > 0) {
        events.add(new Event(id, data.toString()));
      }
      id = null;
      data.setLength(0);
    } else if (line.startsWith(":")) {
      if (line.startsWith(": subscribed")) {
        subscribed = true;
      }
    } else if (line.startsWith("id: ")) {
      id = line.substring(4);
    } else if (line.startsWith("data: ")) {
      if (data.length() > 0) {
        data.append('\n');
      }
      data.append(line.substring(6));
    }
  }

  @Override
  public void onError(Throwable error) {
    ended.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    ended.complete(null);
  }

  void cancel() {
    if (subscription != null) {
      subscription.cancel();
    }
  }
}
