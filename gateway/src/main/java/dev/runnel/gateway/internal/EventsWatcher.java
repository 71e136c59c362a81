package dev.runnel.gateway.internal;

import java.util.Optional;

/**
 * Streams a session's chunks as server-sent events ({@code id: <partition>-<offset>}, {@code data:}
 * the chunk as JSON). When it watches one request, it ends the response after that request's end
 * record.
 */
final class EventsWatcher implements Watcher {
  private final SseStream stream;
  private final Optional<String> requestId;

  EventsWatcher(SseStream stream, Optional<String> requestId) {
    this.stream = stream;
    this.requestId = requestId;
  }

  @Override
  public boolean offer(ChunkEvent event) {
    if (requestId.isPresent() && !requestId.get().equals(event.chunk().getRequestId())) {
      return stream.isOpen();
    }
    if (!stream.event(event.id(), Json.write(Json.chunk(event.chunk())))) {
      return false;
    }
    if (requestId.isPresent() && event.chunk().getEnd()) {
      stream.finish();
      return false;
    }
    return true;
  }

  @Override
  public void fail(String code, String message) {
    stream.send(
        "event: error\ndata: " + Json.write(Json.error(code, message, "server_error")) + "\n\n");
    stream.finishAndClose();
  }
}
