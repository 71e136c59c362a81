package dev.runnel.processor;

import dev.runnel.action.StreamingAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.processor.internal.CallSlots;
import dev.runnel.processor.internal.ProcessorSettings;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.topics.Topics;
import java.util.Optional;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.Topology;

/**
 * Builds Runnel's topology. Starts nothing; the application and the tests call the same method.
 *
 * <pre>
 * prompts, cancellations (raw bytes) ──► streaming-action ──► chunks, sessions, dead-letters
 * </pre>
 */
public final class RunnelTopology {
  /** The queryable store holding each session's latest state (key: session id). */
  public static final String SESSION_STATE_STORE = StreamingActionProcessorSupplier.STATE_STORE;

  /** The queryable store holding one record per accepted request not yet applied. */
  public static final String PENDING_REQUESTS_STORE =
      StreamingActionProcessorSupplier.PENDING_STORE;

  private static final String PROMPTS_SOURCE = "prompts";
  private static final String CANCELLATIONS_SOURCE = "cancellations";
  private static final String PROCESSOR = "streaming-action";
  private static final String CHUNKS_SINK = "chunks";
  private static final String SESSIONS_SINK = "sessions";
  private static final String DEAD_LETTERS_SINK = "dead-letters";

  private RunnelTopology() {}

  /**
   * @param deltaPublisher the immediate lane's publisher; empty in the transactional lane
   */
  public static Topology build(
      RunnelConfig config, StreamingAction action, Optional<DeltaPublisher> deltaPublisher) {
    return build(config, action, deltaPublisher, ProcessorObserver.NONE);
  }

  /**
   * @param deltaPublisher the immediate lane's publisher; empty in the transactional lane
   * @param observer hears accepted prompts, calls, retries and failures, for metrics
   */
  public static Topology build(
      RunnelConfig config,
      StreamingAction action,
      Optional<DeltaPublisher> deltaPublisher,
      ProcessorObserver observer) {
    if (config.immediateLane() != deltaPublisher.isPresent()) {
      throw new IllegalArgumentException(
          "runnel.delta.lane="
              + config.getString(RunnelConfig.DELTA_LANE_CONFIG)
              + " needs "
              + (config.immediateLane() ? "a" : "no")
              + " DeltaPublisher");
    }
    Topics topics = Topics.from(config);
    ProcessorSettings settings =
        ProcessorSettings.from(config, CHUNKS_SINK, SESSIONS_SINK, DEAD_LETTERS_SINK);
    CallSlots slots = new CallSlots(config.getInt(RunnelConfig.MAX_IN_FLIGHT_CONFIG));
    Topology topology = new Topology();
    topology.addSource(
        PROMPTS_SOURCE,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        topics.prompts().name());
    topology.addSource(
        CANCELLATIONS_SOURCE,
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        topics.cancellations().name());
    topology.addProcessor(
        PROCESSOR,
        new StreamingActionProcessorSupplier(settings, action, deltaPublisher, slots, observer),
        PROMPTS_SOURCE,
        CANCELLATIONS_SOURCE);
    topology.addSink(
        CHUNKS_SINK,
        topics.chunks().name(),
        topics.chunks().keySerde().serializer(),
        topics.chunks().valueSerde().serializer(),
        PROCESSOR);
    topology.addSink(
        SESSIONS_SINK,
        topics.sessions().name(),
        topics.sessions().keySerde().serializer(),
        topics.sessions().valueSerde().serializer(),
        PROCESSOR);
    topology.addSink(
        DEAD_LETTERS_SINK,
        topics.deadLetters().name(),
        topics.deadLetters().keySerde().serializer(),
        topics.deadLetters().valueSerde().serializer(),
        PROCESSOR);
    return topology;
  }
}
