package dev.runnel.testkit;

import dev.runnel.processor.DeltaPublisher;
import dev.runnel.schemas.Chunk;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The immediate lane of an {@link ActionTestDriver}: keeps every delta it is sent and acknowledges
 * it at once, as a broker would. Thread-safe: runs send from their own threads.
 */
public final class RecordingDeltaPublisher implements DeltaPublisher {
  private final List<Chunk> sent = new ArrayList<>();

  @Override
  public synchronized CompletionStage<Void> send(Chunk delta) {
    sent.add(delta);
    return CompletableFuture.completedFuture(null);
  }

  /** Every delta sent so far, in the order sent. */
  public synchronized List<Chunk> sent() {
    return List.copyOf(sent);
  }

  @Override
  public void close() {}
}
