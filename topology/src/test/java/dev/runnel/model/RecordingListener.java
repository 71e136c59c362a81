package dev.runnel.model;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** Test listener: keeps every delta and the single end, and counts ends to catch a second one. */
public final class RecordingListener implements StreamListener {
  public final List<String> deltas = new CopyOnWriteArrayList<>();
  public final List<ToolCallDelta> toolCalls = new CopyOnWriteArrayList<>();
  public final CompletableFuture<ChatCompletion> result = new CompletableFuture<>();
  public final AtomicInteger ends = new AtomicInteger();
  public final AtomicInteger deltasAfterEnd = new AtomicInteger();

  @Override
  public void onDelta(String text) {
    if (ends.get() > 0) {
      deltasAfterEnd.incrementAndGet();
    }
    deltas.add(text);
  }

  @Override
  public void onToolCall(ToolCallDelta delta) {
    toolCalls.add(delta);
  }

  @Override
  public void onComplete(ChatCompletion completion) {
    ends.incrementAndGet();
    result.complete(completion);
  }

  @Override
  public void onError(ModelException error) {
    ends.incrementAndGet();
    result.completeExceptionally(error);
  }

  /** The completion, waiting up to 30 s. */
  public ChatCompletion completion() throws Exception {
    return result.get(30, TimeUnit.SECONDS);
  }

  /** The error the call ended with, waiting up to 30 s; fails if it completed instead. */
  public ModelException error() throws InterruptedException, TimeoutException {
    try {
      ChatCompletion c = result.get(30, TimeUnit.SECONDS);
      throw new AssertionError("expected an error, the call completed: " + c);
    } catch (ExecutionException e) {
      return (ModelException) e.getCause();
    }
  }

  public String text() {
    return String.join("", deltas);
  }
}
