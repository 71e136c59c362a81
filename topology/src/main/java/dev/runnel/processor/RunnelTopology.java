package dev.runnel.processor;

import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import java.util.Optional;
import org.apache.kafka.streams.Topology;

/** Builds Runnel's topology. Starts nothing; the application and the tests call the same method. */
public final class RunnelTopology {
  /** Name of the queryable store holding each session's latest state. */
  public static final String SESSION_STATE_STORE = "runnel-session-state";

  /** Name of the store holding each session's accepted requests. */
  public static final String SESSION_QUEUE_STORE = "runnel-session-queue";

  private RunnelTopology() {}

  /**
   * @param deltaPublisher the immediate lane's publisher; empty in the transactional lane
   */
  public static Topology build(
      RunnelConfig config, StreamingAction action, Optional<DeltaPublisher> deltaPublisher) {
    throw new UnsupportedOperationException("being written");
  }
}
