package dev.runnel.gateway.internal;

import java.util.List;
import java.util.function.Consumer;

/**
 * Watches one response's chunks. Streaming, it sends the Responses events whose sequence number is
 * above {@code startingAfter} and ends the stream after the terminal one. Otherwise it hands over
 * the {@link ResponsesEvents} once the records read so far are in ({@code untilEnd} false: what
 * {@code GET /v1/responses/{id}} shows now) or once the response ended.
 */
final class ResponsesWatcher implements Watcher {
  private final ResponsesEvents events;
  private final SseStream stream;
  private final long startingAfter;
  private final boolean untilEnd;
  private final Consumer<ResponsesEvents> onAnswer;
  private final Consumer<ApiError> onError;
  private boolean done;
  private boolean started;

  private ResponsesWatcher(
      ResponsesEvents events,
      SseStream stream,
      long startingAfter,
      boolean untilEnd,
      Consumer<ResponsesEvents> onAnswer,
      Consumer<ApiError> onError) {
    this.events = events;
    this.stream = stream;
    this.startingAfter = startingAfter;
    this.untilEnd = untilEnd;
    this.onAnswer = onAnswer;
    this.onError = onError;
  }

  static ResponsesWatcher streaming(ResponsesEvents events, SseStream stream, long startingAfter) {
    return new ResponsesWatcher(events, stream, startingAfter, true, null, null);
  }

  static ResponsesWatcher answering(
      ResponsesEvents events,
      boolean untilEnd,
      Consumer<ResponsesEvents> onAnswer,
      Consumer<ApiError> onError) {
    return new ResponsesWatcher(events, null, -1, untilEnd, onAnswer, onError);
  }

  /**
   * Sends the opening events (streaming only), unless the first chunk already did: a resume's
   * chunks may arrive before the subscription call returns.
   */
  synchronized void start() {
    if (stream != null && !started) {
      started = true;
      send(events.start());
    }
  }

  @Override
  public synchronized boolean offer(ChunkEvent event) {
    if (done) {
      return false;
    }
    start();
    List<ResponsesEvents.Event> made = events.accept(event.chunk());
    if (stream != null) {
      if (!send(made)) {
        done = true;
        return false;
      }
      if (events.ended()) {
        done = true;
        stream.finish();
        return false;
      }
      return stream.isOpen();
    }
    if (events.ended()) {
      done = true;
      onAnswer.accept(events);
      return false;
    }
    return true;
  }

  private boolean send(List<ResponsesEvents.Event> made) {
    for (ResponsesEvents.Event e : made) {
      if (e.sequence() > startingAfter && !stream.send(e.sse())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized void caughtUp() {
    if (!done && stream == null && !untilEnd) {
      done = true;
      onAnswer.accept(events);
    }
  }

  @Override
  public synchronized void fail(String code, String message) {
    fail(
        ApiError.of(
            io.netty.handler.codec.http.HttpResponseStatus.SERVICE_UNAVAILABLE, code, message));
  }

  /** Ends the watch with {@code error}: an {@code error} event, or the error answer. */
  synchronized void fail(ApiError error) {
    if (done) {
      return;
    }
    done = true;
    if (stream != null) {
      stream.send(
          "event: error\ndata: "
              + Json.write(
                  Json.MAPPER
                      .createObjectNode()
                      .put("type", "error")
                      .put("code", error.code())
                      .put("message", error.message())
                      .putNull("param"))
              + "\n\n");
      stream.finish();
    } else {
      onError.accept(error);
    }
  }
}
