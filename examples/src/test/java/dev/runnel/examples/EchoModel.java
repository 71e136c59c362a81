package dev.runnel.examples;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.TokenUsage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A model for the examples' tests: replies with the last user message, word by word, on a thread of
 * its own, and records every call. A message ending in {@code ...} streams its first word and then
 * waits to be cancelled.
 */
final class EchoModel implements ChatModel {
  static final String HANG = "...";

  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  /** One call: what was asked, and whether the caller cancelled it. */
  static final class Call implements ChatCall {
    final ChatRequest request;
    private final StreamListener listener;
    private boolean ended;
    private boolean cancelled;

    private Call(ChatRequest request, StreamListener listener) {
      this.request = request;
      this.listener = listener;
    }

    /** True when the caller cancelled the call before it ended. */
    synchronized boolean cancelled() {
      return cancelled;
    }

    private synchronized void delta(String text) {
      if (!ended) {
        listener.onDelta(text);
      }
    }

    private synchronized void complete(String text) {
      if (!ended) {
        ended = true;
        listener.onComplete(new ChatCompletion(text, FinishReason.STOP, TokenUsage.NONE));
      }
    }

    @Override
    public synchronized void cancel() {
      if (!ended) {
        ended = true;
        cancelled = true;
        listener.onError(new ModelException(ModelException.Kind.CANCELLED, "cancelled"));
      }
    }
  }

  @Override
  public ChatCall stream(ChatRequest request, StreamListener listener) {
    Call call = new Call(request, listener);
    calls.add(call);
    List<ChatMessage> messages = request.messages();
    String text = messages.get(messages.size() - 1).content();
    threads.execute(
        () -> {
          for (String word : text.split("(?<= )")) {
            call.delta(word);
            if (text.endsWith(HANG)) {
              return;
            }
          }
          call.complete(text);
        });
    return call;
  }

  /** Every call so far, in order. */
  List<Call> calls() {
    return List.copyOf(calls);
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
