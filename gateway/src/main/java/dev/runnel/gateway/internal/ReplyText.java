package dev.runnel.gateway.internal;

import dev.runnel.schemas.Chunk;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The text of one request's reply, rebuilt from its chunk records in offset order, for clients that
 * can only be sent text forward (the Responses and Anthropic Messages streams). Deltas delivered
 * twice by the at-least-once lane are dropped (by attempt, call and sequence); a restarted
 * attempt's text is shown only past what was already sent ({@link SentText}). The result depends on
 * nothing but the records, so every gateway instance that reads them derives the same steps.
 */
final class ReplyText {
  /** What one chunk changed: new text to send, the end, or a restart that contradicts the text. */
  record Step(String fresh, Chunk end, boolean diverged) {
    static final Step NONE = new Step("", null, false);
  }

  private static final class Call {
    long nextSequence;
    long received;
    final StringBuilder text = new StringBuilder();
  }

  private final String requestId;
  private final Map<String, Call> calls = new HashMap<>();
  private final SentText sent = new SentText();
  private final StringBuilder shownText = new StringBuilder();
  private Call shown;
  private int attempt;
  private boolean done;

  ReplyText(String requestId) {
    this.requestId = requestId;
  }

  /** The text sent so far. */
  String text() {
    return shownText.toString();
  }

  /** True once the end record (or a divergence) was seen; later chunks are ignored. */
  boolean done() {
    return done;
  }

  /** Takes the next chunk of the session; chunks of other requests change nothing. */
  Step accept(Chunk chunk) {
    if (done || !requestId.equals(chunk.getRequestId())) {
      return Step.NONE;
    }
    Call call =
        calls.computeIfAbsent(
            chunk.getAttempt() + "/" + Objects.toString(chunk.getCallId(), ""), k -> new Call());
    if (chunk.getSequence() < call.nextSequence) {
      return Step.NONE;
    }
    call.nextSequence = chunk.getSequence() + 1;
    if (chunk.getEnd()) {
      done = true;
      String fresh = call == shown ? "" : show(call);
      return fresh == null ? new Step("", null, true) : new Step(fresh, chunk, false);
    }
    call.received++;
    call.text.append(chunk.getDelta());
    if (chunk.getAttempt() < attempt) {
      return Step.NONE;
    }
    attempt = chunk.getAttempt();
    String fresh = call == shown ? take(chunk.getDelta()) : show(call);
    if (fresh == null) {
      done = true;
      return new Step("", null, true);
    }
    return new Step(fresh, null, false);
  }

  private String show(Call call) {
    shown = call;
    sent.restart();
    return take(call.text);
  }

  private String take(CharSequence part) {
    String fresh = sent.accept(part);
    if (fresh != null) {
      shownText.append(fresh);
    }
    return fresh;
  }
}
