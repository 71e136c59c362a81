package dev.runnel.gateway.internal;

import java.util.List;
import java.util.function.Consumer;

/**
 * Watches one Anthropic Messages request's chunks: streams its events, or hands over the whole
 * message (or the error) once it ended.
 */
final class AnthropicWatcher implements Watcher {
  private final AnthropicEvents events;
  private final SseStream stream;
  private final Consumer<AnthropicEvents> onEnd;
  private final Consumer<ApiError> onError;
  private boolean done;

  private AnthropicWatcher(
      AnthropicEvents events,
      SseStream stream,
      Consumer<AnthropicEvents> onEnd,
      Consumer<ApiError> onError) {
    this.events = events;
    this.stream = stream;
    this.onEnd = onEnd;
    this.onError = onError;
  }

  static AnthropicWatcher streaming(AnthropicEvents events, SseStream stream) {
    return new AnthropicWatcher(events, stream, null, null);
  }

  static AnthropicWatcher whole(
      AnthropicEvents events, Consumer<AnthropicEvents> onEnd, Consumer<ApiError> onError) {
    return new AnthropicWatcher(events, null, onEnd, onError);
  }

  /** Sends the opening events (streaming only). */
  synchronized void start() {
    if (stream != null) {
      send(events.start());
    }
  }

  @Override
  public synchronized boolean offer(ChunkEvent event) {
    if (done) {
      return false;
    }
    List<AnthropicEvents.Event> made = events.accept(event.chunk());
    if (stream != null) {
      if (!send(made)) {
        done = true;
        return false;
      }
    }
    if (!events.ended()) {
      return stream == null || stream.isOpen();
    }
    done = true;
    if (stream != null) {
      stream.finish();
    } else if (events.failure() != null) {
      onError.accept(events.failure());
    } else {
      onEnd.accept(events);
    }
    return false;
  }

  private boolean send(List<AnthropicEvents.Event> made) {
    for (AnthropicEvents.Event e : made) {
      if (!stream.send(e.sse())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized void fail(String code, String message) {
    fail(
        ApiError.of(
            io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE, code, message));
  }

  /** Ends the request with {@code error}: an {@code error} event, or the error answer. */
  synchronized void fail(ApiError error) {
    if (done) {
      return;
    }
    done = true;
    if (stream != null) {
      stream.send("event: error\ndata: " + Json.write(AnthropicMessages.errorBody(error)) + "\n\n");
      stream.finish();
    } else {
      onError.accept(error);
    }
  }
}
