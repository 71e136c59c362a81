package dev.runnel.processor;

import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.hook.RunHook;
import dev.runnel.processor.internal.Actions;
import dev.runnel.processor.internal.CallSlots;
import dev.runnel.processor.internal.Hooks;
import dev.runnel.processor.internal.ProcessorSettings;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.topics.Topics;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Builds Runnel's topology. Starts nothing; the application and the tests call the same method.
 *
 * <pre>
 * prompts, cancellations,             ┬─ on murmur2(key)'s partition ──────────┬─► streaming-action
 * [tool-results] (raw bytes)          └─ elsewhere ──► repartition by key ───┘      │
 *                             chunks, sessions, dead-letters, [tool-calls] ◄────────┘
 * </pre>
 *
 * <p>The tool topics are part of it only when a hosted application declares a remote tool.
 *
 * <pre>
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
  private static final String TOOL_RESULTS_SOURCE = "tool-results";
  private static final String WITH_TOOL_RESULTS = "with-tool-results";
  private static final String INPUT = "input";
  private static final String MISPLACED = "misplaced";
  private static final String IN_PLACE = "in-place";
  private static final String BY_SESSION = "by-session";
  private static final String PROCESSOR = "streaming-action";
  private static final String CHUNKS_SINK = "chunks";
  private static final String SESSIONS_SINK = "sessions";
  private static final String DEAD_LETTERS_SINK = "dead-letters";
  private static final String TOOL_CALLS_SINK = "tool-calls";

  private RunnelTopology() {}

  /**
   * One action and no hooks, for input topics of {@code runnel.topic.partitions} partitions.
   *
   * @param deltaPublisher the immediate lane's publisher; empty in the transactional lane
   */
  public static Topology build(
      RunnelConfig config, StreamingAction action, Optional<DeltaPublisher> deltaPublisher) {
    return build(
        config,
        List.of(Application.of(action)),
        deltaPublisher,
        List.of(),
        config.getInt(RunnelConfig.TOPIC_PARTITIONS_CONFIG));
  }

  /**
   * @param applications the applications this instance hosts, each under its name (a single action
   *     is {@link Application#of} it); a prompt that names none runs the first
   * @param deltaPublisher the immediate lane's publisher; empty in the transactional lane
   * @param hooks hear every run, partial result, applied state and arriving record, in order
   * @param inputPartitions the partition count of the input topics: a record on another partition
   *     than murmur2 of its key (Kafka's default partitioner) gives is passed through a repartition
   *     topic, so that a session has one place whatever partitioner its producers use
   */
  public static Topology build(
      RunnelConfig config,
      List<Application> applications,
      Optional<DeltaPublisher> deltaPublisher,
      List<RunHook> hooks,
      int inputPartitions) {
    if (config.immediateLane() != deltaPublisher.isPresent()) {
      throw new IllegalArgumentException(
          "runnel.delta.lane="
              + config.getString(RunnelConfig.DELTA_LANE_CONFIG)
              + " needs "
              + (config.immediateLane() ? "a" : "no")
              + " DeltaPublisher");
    }
    if (inputPartitions < 1) {
      throw new IllegalArgumentException("inputPartitions must be at least 1: " + inputPartitions);
    }
    Topics topics = Topics.from(config);
    ProcessorSettings settings =
        ProcessorSettings.from(
            config, CHUNKS_SINK, SESSIONS_SINK, DEAD_LETTERS_SINK, TOOL_CALLS_SINK);
    boolean remoteTools = usesRemoteTools(applications);
    CallSlots slots = new CallSlots(config.getInt(RunnelConfig.MAX_IN_FLIGHT_CONFIG));
    // The DSL only for what the Processor API cannot declare: an internal repartition topic, which
    // Kafka Streams creates with the input's partition count and purges once consumed.
    StreamsBuilder builder = new StreamsBuilder();
    KStream<byte[], byte[]> input =
        builder.stream(
                topics.prompts().name(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(PROMPTS_SOURCE))
            .merge(
                builder.stream(
                    topics.cancellations().name(),
                    Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(CANCELLATIONS_SOURCE)),
                Named.as(INPUT));
    if (remoteTools) {
      input =
          input.merge(
              builder.stream(
                  topics.toolResults().name(),
                  Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                      .withName(TOOL_RESULTS_SOURCE)),
              Named.as(WITH_TOOL_RESULTS));
    }
    KStream<byte[], byte[]> rerouted =
        input
            .process(
                StreamingActionProcessorSupplier.placement(inputPartitions, false),
                Named.as(MISPLACED))
            .repartition(
                Repartitioned.<byte[], byte[]>as(StreamingActionProcessorSupplier.REROUTE)
                    .withKeySerde(Serdes.ByteArray())
                    .withValueSerde(Serdes.ByteArray()));
    input
        .process(
            StreamingActionProcessorSupplier.placement(inputPartitions, true), Named.as(IN_PLACE))
        .merge(rerouted, Named.as(BY_SESSION))
        .process(
            new StreamingActionProcessorSupplier(
                settings, new Actions(applications), deltaPublisher, slots, new Hooks(hooks)),
            Named.as(PROCESSOR));
    Topology topology = builder.build();
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
    if (remoteTools) {
      topology.addSink(
          TOOL_CALLS_SINK,
          topics.toolCalls().name(),
          topics.toolCalls().keySerde().serializer(),
          topics.toolCalls().valueSerde().serializer(),
          PROCESSOR);
    }
    return topology;
  }

  /** True when one of {@code applications} declares a remote tool, so needs the tool topics. */
  public static boolean usesRemoteTools(List<Application> applications) {
    return applications.stream().anyMatch(a -> !a.remoteTools().isEmpty());
  }
}
