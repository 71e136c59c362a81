package dev.runnel.model;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A streaming call read by a blocking loop, as LangChain4j's {@code TokenStream} is beside its
 * handler: {@code for (String delta : stream)} yields the reply's deltas as they arrive, and once
 * the last one is read {@link #completion()} gives the full text, finish reason and usage. A failed
 * call throws its {@link ModelException} from {@link #hasNext()}.
 *
 * <p>Abandoning the stream ({@link #close()}) cancels the call and closes its connection; so does
 * interrupting the thread that waits in {@link #hasNext()}, which then throws a {@link
 * ModelException.Kind#CANCELLED} error and leaves the thread's interrupt flag set. Built on {@link
 * ChatModel#stream(ChatRequest, StreamListener)}: the call still runs on the client's threads, and
 * only the reading thread blocks. Read from one thread.
 */
public final class ChatStream implements Iterator<String>, Iterable<String>, AutoCloseable {
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final ChatCall call;
  private String next;
  private ChatCompletion completion;
  private ModelException error;

  ChatStream(ChatModel model, ChatRequest request) {
    this.call =
        model.stream(
            request,
            new StreamListener() {
              @Override
              public void onDelta(String text) {
                events.add(text);
              }

              @Override
              public void onComplete(ChatCompletion done) {
                events.add(done);
              }

              @Override
              public void onError(ModelException failure) {
                events.add(failure);
              }
            });
  }

  /** Waits for the next delta; false once the call completed. Throws the call's error. */
  @Override
  public boolean hasNext() {
    while (next == null && completion == null) {
      if (error != null) {
        throw error;
      }
      Object event;
      try {
        event = events.take();
      } catch (InterruptedException e) {
        call.cancel();
        Thread.currentThread().interrupt();
        error =
            new ModelException(ModelException.Kind.CANCELLED, "the reading thread was interrupted");
        throw error;
      }
      if (event instanceof String delta) {
        next = delta;
      } else if (event instanceof ChatCompletion done) {
        completion = done;
      } else {
        error = (ModelException) event;
      }
    }
    return next != null;
  }

  @Override
  public String next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the call has completed");
    }
    String delta = next;
    next = null;
    return delta;
  }

  /** This stream, for a for-each loop; it can be iterated once. */
  @Override
  public Iterator<String> iterator() {
    return this;
  }

  /**
   * The call's completion, once every delta was read.
   *
   * @throws IllegalStateException while deltas remain to be read
   */
  public ChatCompletion completion() {
    if (hasNext()) {
      throw new IllegalStateException("the completion follows the last delta; deltas remain");
    }
    return completion;
  }

  /** Cancels the call if it is still running. Safe to call more than once. */
  @Override
  public void close() {
    call.cancel();
  }
}
