package dev.runnel.processor;

import dev.runnel.schemas.Chunk;
import java.util.concurrent.CompletionStage;

/**
 * The immediate lane: sends a delta straight to the chunks topic from the model client's thread,
 * outside the stream thread's transaction. {@link KafkaDeltaPublisher} is the production one.
 */
public interface DeltaPublisher extends AutoCloseable {

  /**
   * Sends one delta chunk keyed by its session. Never blocks; the stage completes when the broker
   * has acknowledged the record, or fails if it cannot be written.
   */
  CompletionStage<Void> send(Chunk delta);

  @Override
  void close();
}
