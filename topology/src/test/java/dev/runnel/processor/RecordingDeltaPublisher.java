package dev.runnel.processor;

import dev.runnel.schemas.Chunk;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * An immediate-lane publisher that keeps what it was sent. It acknowledges at once, or holds
 * acknowledgements until the test releases them, or leaves them to another publisher it passes
 * every delta on to.
 */
final class RecordingDeltaPublisher implements DeltaPublisher {
  private final DeltaPublisher delegate;
  private final List<Chunk> sent = new ArrayList<>();
  private final List<CompletableFuture<Void>> held = new ArrayList<>();
  private boolean holdAcks;

  RecordingDeltaPublisher() {
    this(null);
  }

  RecordingDeltaPublisher(DeltaPublisher delegate) {
    this.delegate = delegate;
  }

  synchronized RecordingDeltaPublisher holdingAcks() {
    holdAcks = true;
    return this;
  }

  @Override
  public CompletionStage<Void> send(Chunk delta) {
    CompletableFuture<Void> ack = new CompletableFuture<>();
    synchronized (this) {
      sent.add(delta);
      if (delegate == null && holdAcks) {
        held.add(ack);
        return ack;
      }
    }
    if (delegate != null) {
      return delegate.send(delta);
    }
    ack.complete(null);
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
  public void close() {
    if (delegate != null) {
      delegate.close();
    }
  }
}
