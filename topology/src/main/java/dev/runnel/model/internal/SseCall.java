package dev.runnel.model.internal;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import dev.runnel.model.ModelTimeouts;
import dev.runnel.model.StreamListener;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolCallDelta;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streaming call. Every event that reaches the listener passes through a lock on this object,
 * so the listener sees one thread at a time and nothing after the call's single end, whichever of
 * the body, a timer or {@link #cancel} gets there first.
 */
final class SseCall implements ChatCall, CallSink {
  private static final Logger LOG = LoggerFactory.getLogger(SseCall.class);

  /** Most bytes of a failed response's body that are read (the error message needs a few). */
  static final int ERROR_BODY_LIMIT = 8 * 1024;

  private final SseProtocol protocol;
  private final StreamListener listener;
  private final ModelTimeouts timeouts;
  private final int maxReplyChars;
  private final Executor callbacks;
  private final Redaction redaction;
  private final StringBuilder text = new StringBuilder();
  private final List<PendingToolCall> toolCalls = new ArrayList<>();
  private final SseParser parser = new SseParser(this::onEvent);

  private volatile boolean ended;
  private volatile boolean bodyEnded;
  private volatile Flow.Subscription subscription;
  private volatile CompletableFuture<HttpResponse<Void>> response;
  private ScheduledFuture<?> totalTimer;
  private ScheduledFuture<?> progressTimer;
  private String target;
  private long startNanos;
  private long lastDeltaNanos;
  private int deltas;
  private long toolArgumentChars;

  SseCall(
      SseProtocol protocol,
      StreamListener listener,
      ModelTimeouts timeouts,
      int maxReplyChars,
      Executor callbacks,
      Redaction redaction) {
    this.protocol = protocol;
    this.redaction = redaction;
    this.callbacks = callbacks;
    this.listener = listener;
    this.timeouts = timeouts;
    this.maxReplyChars = maxReplyChars;
  }

  synchronized void start(HttpClient http, HttpRequest request) {
    target = Redaction.url(request.uri().toString());
    startNanos = System.nanoTime();
    totalTimer = Timers.schedule(onPool(this::onTotalTimeout), timeouts.total());
    progressTimer = Timers.schedule(onPool(this::checkProgress), timeouts.firstToken());
    CompletableFuture<HttpResponse<Void>> sent = http.sendAsync(request, this::subscriberFor);
    response = sent;
    sent.whenComplete(
        (ignored, error) -> {
          if (error != null) {
            fail(forSendError(error));
          }
        });
  }

  @Override
  public void cancel() {
    fail(new ModelException(Kind.CANCELLED, "cancelled by the caller"));
    closeConnection();
  }

  // --- CallSink: called by the protocol while this object's lock is held ---

  @Override
  public void delta(String piece) {
    if (ended || piece == null || piece.isEmpty()) {
      return;
    }
    int room = maxReplyChars - text.length();
    if (piece.length() > room) {
      endAtReplyLimit(piece, room);
      return;
    }
    deliver(piece);
  }

  private void deliver(String piece) {
    progressed();
    text.append(piece);
    listener.onDelta(piece);
  }

  /** A text delta or a tool-call fragment arrived. */
  private void progressed() {
    deltas++;
    lastDeltaNanos = System.nanoTime();
    if (deltas == 1) {
      // From now on the idle timeout applies; later deltas only move lastDeltaNanos and the
      // timer reschedules itself, so a fast stream costs no timer churn.
      progressTimer.cancel(false);
      progressTimer = Timers.schedule(onPool(this::checkProgress), timeouts.idle());
    }
  }

  @Override
  public void toolCall(int index, String id, String name, String arguments) {
    if (ended) {
      return;
    }
    if (index < 0 || index > toolCalls.size()) {
      fail(
          new ModelException(
              Kind.PROTOCOL,
              "tool call "
                  + index
                  + " came before tool call "
                  + toolCalls.size()
                  + " (each reply's calls are numbered from 0 in order)"));
      return;
    }
    if (index == toolCalls.size()) {
      if (id == null || id.isEmpty() || name == null || name.isEmpty()) {
        fail(
            new ModelException(
                Kind.PROTOCOL, "tool call " + index + " began without an id and a name"));
        return;
      }
      toolCalls.add(new PendingToolCall(id, name));
    }
    String piece = arguments == null ? "" : arguments;
    toolArgumentChars += piece.length();
    if (text.length() + toolArgumentChars > maxReplyChars) {
      fail(
          new ModelException(
              Kind.PROTOCOL,
              "the reply's tool-call arguments pass the reply limit of "
                  + maxReplyChars
                  + " characters"));
      return;
    }
    PendingToolCall call = toolCalls.get(index);
    call.arguments.append(piece);
    progressed();
    boolean first = !call.announced;
    call.announced = true;
    listener.onToolCall(
        new ToolCallDelta(index, first ? call.id : null, first ? call.name : null, piece));
  }

  /**
   * The reply reached its cap: what fits is delivered, and the call ends as a model's own token
   * limit would, with {@link FinishReason#LENGTH} (the server's usage never arrives, so none).
   */
  private void endAtReplyLimit(String piece, int room) {
    int keep = room > 0 && Character.isHighSurrogate(piece.charAt(room - 1)) ? room - 1 : room;
    if (keep > 0) {
      deliver(piece.substring(0, keep));
    }
    LOG.info(
        "A model reply reached the reply limit of {} characters after {} deltas; the call ends"
            + " with finish reason LENGTH",
        maxReplyChars,
        deltas);
    end();
    listener.onComplete(new ChatCompletion(text.toString(), FinishReason.LENGTH, TokenUsage.NONE));
    closeConnection();
  }

  @Override
  public synchronized void complete(FinishReason finishReason, TokenUsage usage) {
    if (ended) {
      return;
    }
    end();
    // The body is left to drain so the connection can be reused; the total timer still closes
    // it if the server never ends the response.
    List<ToolCall> calls = new ArrayList<>(toolCalls.size());
    for (PendingToolCall call : toolCalls) {
      calls.add(new ToolCall(call.id, call.name, call.arguments.toString()));
    }
    listener.onComplete(new ChatCompletion(text.toString(), finishReason, usage, calls));
  }

  /** A tool call whose fragments are still arriving. */
  private static final class PendingToolCall {
    final String id;
    final String name;
    final StringBuilder arguments = new StringBuilder();
    boolean announced;

    PendingToolCall(String id, String name) {
      this.id = id;
      this.name = name;
    }
  }

  @Override
  public void fail(ModelException error) {
    boolean first;
    synchronized (this) {
      first = !ended;
      if (first) {
        end();
        listener.onError(redacted(error));
      }
    }
    if (first) {
      closeConnection();
    }
  }

  @Override
  public int deltaCount() {
    return deltas;
  }

  // --- body handling ---

  private BodySubscriber<Void> subscriberFor(HttpResponse.ResponseInfo info) {
    int status = info.statusCode();
    String contentType = info.headers().firstValue("Content-Type").orElse("");
    if (status == 200 && isEventStream(contentType)) {
      return new StreamSubscriber();
    }
    return BodySubscribers.mapping(
        new LimitedBodySubscriber(ERROR_BODY_LIMIT),
        body -> {
          fail(
              status == 200
                  ? ModelErrors.forNonStreamBody(contentType, body)
                  : ModelErrors.forResponse(
                      status, body, info.headers().firstValue("Retry-After")));
          return null;
        });
  }

  private static boolean isEventStream(String contentType) {
    // Some OpenAI-compatible servers omit the header; an absent type is read as a stream.
    return contentType.isEmpty()
        || contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
  }

  private final class StreamSubscriber implements BodySubscriber<Void> {
    @Override
    public CompletionStage<Void> getBody() {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (ended && !bodyEnded) {
        s.cancel();
      } else {
        s.request(1);
      }
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      synchronized (SseCall.this) {
        try {
          for (ByteBuffer buffer : buffers) {
            parser.feed(buffer);
          }
        } catch (ModelException e) {
          fail(e);
        } catch (SseParser.SseException e) {
          fail(new ModelException(Kind.PROTOCOL, "bad event stream: " + e.getMessage(), null, e));
        } catch (RuntimeException e) {
          // A listener that throws must not leave the call half-ended.
          LOG.warn("Failure while handling a model stream event", redaction.apply(e));
          fail(new ModelException(Kind.PROTOCOL, "failed to handle an event: " + e, null, e));
        }
      }
      Flow.Subscription s = subscription;
      if (s != null) {
        s.request(1);
      }
    }

    @Override
    public void onError(Throwable error) {
      bodyEnded = true;
      synchronized (SseCall.this) {
        if (!ended) {
          fail(
              new ModelException(
                  Kind.STREAM_DROPPED,
                  "the stream broke after " + deltas + " deltas: " + error,
                  null,
                  error));
        }
      }
    }

    @Override
    public void onComplete() {
      bodyEnded = true;
      synchronized (SseCall.this) {
        cancelTimers();
        if (!ended) {
          protocol.onEndOfStream(SseCall.this);
        }
      }
    }
  }

  private void onEvent(SseEvent event) {
    if (!ended) {
      protocol.onEvent(event, this);
    }
  }

  // --- timers ---

  /**
   * A timer task that runs on the client's pool: the shared timer thread never waits for this
   * call's lock, so a listener that is slow to return stalls no other call's timeouts.
   */
  private Runnable onPool(Runnable task) {
    return () -> {
      try {
        callbacks.execute(task);
      } catch (RejectedExecutionException clientClosed) {
        task.run();
      }
    };
  }

  private synchronized void checkProgress() {
    if (ended) {
      return;
    }
    long now = System.nanoTime();
    boolean first = deltas == 0;
    long deadline =
        first
            ? startNanos + timeouts.firstToken().toNanos()
            : lastDeltaNanos + timeouts.idle().toNanos();
    if (now - deadline >= 0) {
      fail(
          new ModelException(
              Kind.TIMEOUT,
              first
                  ? "no token within the first-token timeout of " + timeouts.firstToken()
                  : "no token for the idle timeout of " + timeouts.idle() + " after " + deltas));
    } else {
      progressTimer =
          Timers.schedule(onPool(this::checkProgress), Duration.ofNanos(deadline - now));
    }
  }

  private void onTotalTimeout() {
    if (ended) {
      // The call had completed but the server kept the response open: close it.
      closeConnection();
      return;
    }
    fail(
        new ModelException(
            Kind.TIMEOUT, "the call exceeded the total timeout of " + timeouts.total()));
  }

  private void end() {
    ended = true;
    if (progressTimer != null) {
      progressTimer.cancel(false);
    }
  }

  private synchronized void cancelTimers() {
    if (totalTimer != null) {
      totalTimer.cancel(false);
    }
    if (progressTimer != null) {
      progressTimer.cancel(false);
    }
  }

  private void closeConnection() {
    if (!bodyEnded) {
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }
    cancelTimers();
    CompletableFuture<HttpResponse<Void>> r = response;
    if (r != null && !r.isDone()) {
      r.cancel(true);
    }
  }

  /** The error as the listener may pass it on: to topics, logs and clients. */
  private ModelException redacted(ModelException error) {
    return new ModelException(
        error.kind(),
        redaction.apply(error.getMessage()),
        error.retryAfter().orElse(null),
        redaction.apply(error.getCause()));
  }

  private ModelException forSendError(Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof CancellationException) {
      return new ModelException(Kind.CANCELLED, "cancelled before the response arrived");
    }
    if (cause instanceof HttpConnectTimeoutException) {
      return new ModelException(
          Kind.TIMEOUT,
          "could not connect to " + target + " within " + timeouts.connect(),
          null,
          cause);
    }
    if (cause instanceof HttpTimeoutException) {
      return new ModelException(Kind.TIMEOUT, "timed out: " + cause.getMessage(), null, cause);
    }
    if (cause instanceof ConnectException) {
      return new ModelException(
          Kind.CONNECTION, "could not connect to " + target + ": " + cause, null, cause);
    }
    if (cause instanceof IOException) {
      return new ModelException(
          Kind.CONNECTION, "the connection broke before a response: " + cause, null, cause);
    }
    LOG.warn("Unexpected failure of a model call", redaction.apply(cause));
    return new ModelException(Kind.CONNECTION, "the call failed: " + cause, null, cause);
  }
}
