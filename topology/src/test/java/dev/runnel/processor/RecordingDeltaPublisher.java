package dev.runnel.processor;

import dev.runnel.schemas.Chunk;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An immediate-lane publisher that keeps what it was sent. It acknowledges at once, or holds
 * acknowledgements until the test releases them.
 */
final class RecordingDeltaPublisher implements DeltaPublisher {
  private final List<Chunk> sent = new ArrayList<>();
  private final List<CompletableFuture<Void>> held = new ArrayList<>();
  private boolean holdAcks;

  synchronized RecordingDeltaPublisher holdingAcks() {
    holdAcks = true;
    return this;
  }

  @Override
  public synchronized CompletionStage<Void> send(Chunk delta) {
    sent.add(delta);
    CompletableFuture<Void> ack = new CompletableFuture<>();
    if (holdAcks) {
      held.add(ack);
    } else {
      ack.complete(null);
    }
    return ack;
  }

  /** Acknowledges every held send. */
  void releaseAcks() {
    List<CompletableFuture<Void>> release;
    synchronized (this) {
      release = new ArrayList<>(held);
      held.clear();
      holdAcks = false;
    }
    release.forEach(ack -> ack.complete(null));
  }

  synchronized List<Chunk> sent() {
    return List.copyOf(sent);
  }

  @Override
  public void close() {}
}
