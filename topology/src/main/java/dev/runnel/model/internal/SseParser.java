package dev.runnel.model.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Incremental parser of a {@code text/event-stream} body, following the WHATWG HTML "Server-sent
 * events" interpretation rules: a leading BOM is dropped; lines end with CR, LF or CRLF (a CR at
 * the end of one read and the LF at the start of the next count as one line end); {@code :} starts
 * a comment; a field without a colon has an empty value; one space after the colon is dropped;
 * {@code data} lines are joined with LF; an empty line dispatches; an event with no data is not
 * dispatched; {@code id} containing NUL is ignored; a trailing unterminated event at the end of the
 * stream is discarded.
 *
 * <p>Lines are cut on bytes and decoded only when complete, so a UTF-8 character split across reads
 * is never seen half. Hand-written rather than taken from a library because the JDK has no SSE
 * parser and the small ones on Maven Central either park a thread per stream or skip parts of the
 * rules above (see docs/decisions.md). Not thread-safe: one parser per stream, fed in order.
 */
public final class SseParser {
  private static final int MAX_EVENT_BYTES = 8 * 1024 * 1024;

  private final Consumer<SseEvent> sink;
  private byte[] line = new byte[256];
  private int lineLength;
  private boolean afterCr;
  private boolean bomChecked;
  private int bomBytesSeen;
  private final StringBuilder data = new StringBuilder();
  private String eventType = "";
  private String lastEventId = "";
  private long retryMillis = -1;

  public SseParser(Consumer<SseEvent> sink) {
    this.sink = sink;
  }

  /** Feeds the next bytes of the body; dispatches every event they complete. */
  public void feed(ByteBuffer buffer) {
    while (buffer.hasRemaining()) {
      byte b = buffer.get();
      if (!bomChecked && skipBom(b)) {
        continue;
      }
      if (afterCr) {
        afterCr = false;
        if (b == '\n') {
          continue;
        }
      }
      if (b == '\r') {
        afterCr = true;
        endLine();
      } else if (b == '\n') {
        endLine();
      } else {
        append(b);
      }
    }
  }

  /** Feeds bytes; convenience for tests and callers holding arrays. */
  public void feed(byte[] bytes) {
    feed(ByteBuffer.wrap(bytes));
  }

  /** The last {@code retry:} value the server sent, or -1. Runnel does not reconnect, so unused. */
  public long retryMillis() {
    return retryMillis;
  }

  // The BOM is three bytes; they may arrive in separate reads.
  private boolean skipBom(byte b) {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    if (b == bom[bomBytesSeen]) {
      bomBytesSeen++;
      if (bomBytesSeen == 3) {
        bomChecked = true;
      }
      return true;
    }
    bomChecked = true;
    // A partial BOM prefix that turned out not to be a BOM is ordinary content.
    for (int i = 0; i < bomBytesSeen; i++) {
      append(bom[i]);
    }
    return false;
  }

  private void append(byte b) {
    if (lineLength == line.length) {
      line = Arrays.copyOf(line, line.length * 2);
    }
    line[lineLength++] = b;
    if (lineLength + data.length() > MAX_EVENT_BYTES) {
      throw new SseException("event larger than " + MAX_EVENT_BYTES + " bytes");
    }
  }

  private void endLine() {
    String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
    lineLength = 0;
    if (line.length > 64 * 1024) {
      line = new byte[256];
    }
    processLine(text);
  }

  private void processLine(String text) {
    if (text.isEmpty()) {
      dispatch();
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field;
    String value;
    if (colon < 0) {
      field = text;
      value = "";
    } else {
      field = text.substring(0, colon);
      int start = colon + 1;
      if (start < text.length() && text.charAt(start) == ' ') {
        start++;
      }
      value = text.substring(start);
    }
    switch (field) {
      case "event" -> eventType = value;
      case "data" -> data.append(value).append('\n');
      case "id" -> {
        if (value.indexOf('\0') < 0) {
          lastEventId = value;
        }
      }
      case "retry" -> {
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
          try {
            retryMillis = Long.parseLong(value);
          } catch (NumberFormatException tooLong) {
            // The rules only say to ignore non-digits; a value beyond long is ignored as well.
          }
        }
      }
      default -> {
        // Unknown fields are ignored, as the rules require.
      }
    }
  }

  private void dispatch() {
    if (data.length() == 0) {
      eventType = "";
      return;
    }
    data.setLength(data.length() - 1);
    SseEvent event =
        new SseEvent(eventType.isEmpty() ? "message" : eventType, data.toString(), lastEventId);
    data.setLength(0);
    eventType = "";
    sink.accept(event);
  }

  /** The stream broke a limit this parser keeps to bound its memory. */
  public static final class SseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SseException(String message) {
      super(message);
    }
  }
}
