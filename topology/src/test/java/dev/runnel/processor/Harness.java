package dev.runnel.processor;

import static org.awaitility.Awaitility.await;

import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.hook.RunHook;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolInvocation;
import dev.runnel.schemas.ToolResult;
import dev.runnel.schemas.internal.PendingRequest;
import dev.runnel.schemas.internal.SessionQueue;
import dev.runnel.serde.AvroSerde;
import dev.runnel.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Runs Runnel's topology on a {@link TopologyTestDriver}, with the chat action over a {@link
 * ScriptedModel}. Model events reach the topology when {@link #pump()} advances wall-clock time.
 */
final class Harness implements AutoCloseable {
  final RunnelConfig config;
  final Topics topics;
  private static final Map<String, AvroSerde<?>> STORES =
      Map.of(
          StreamingActionProcessorSupplier.STATE_STORE, AvroSerde.of(SessionState.class),
          StreamingActionProcessorSupplier.QUEUE_STORE, AvroSerde.of(SessionQueue.class),
          StreamingActionProcessorSupplier.PENDING_STORE, AvroSerde.of(PendingRequest.class));

  final TopologyTestDriver driver;
  final RecordingDeltaPublisher publisher;
  final TestInputTopic<String, Prompt> prompts;
  final TestInputTopic<byte[], byte[]> rawPrompts;
  final TestInputTopic<String, Cancellation> cancellations;
  final TestOutputTopic<String, Chunk> chunks;
  final TestOutputTopic<String, SessionState> sessions;
  final TestOutputTopic<String, DeadLetter> deadLetters;
  private final List<Chunk> chunkLog = new ArrayList<>();
  private final List<SessionState> sessionLog = new ArrayList<>();

  Harness(Path stateDir, ScriptedModel model, Map<String, Object> settings) {
    this(stateDir, new ChatAction(model, "", 0), settings, new RecordingDeltaPublisher());
  }

  Harness(
      Path stateDir,
      StreamingAction action,
      Map<String, Object> settings,
      RecordingDeltaPublisher publisher) {
    this(stateDir, List.of(action), settings, publisher, List.of());
  }

  Harness(
      Path stateDir,
      List<StreamingAction> actions,
      Map<String, Object> settings,
      RecordingDeltaPublisher publisher,
      List<RunHook> hooks) {
    this(stateDir, settings, publisher, hooks, actions.stream().map(Application::of).toList());
  }

  Harness(Path stateDir, Application application, Map<String, Object> settings) {
    this(stateDir, settings, new RecordingDeltaPublisher(), List.of(), List.of(application));
  }

  private Harness(
      Path stateDir,
      Map<String, Object> settings,
      RecordingDeltaPublisher publisher,
      List<RunHook> hooks,
      List<Application> applications) {
    Map<String, Object> all = new HashMap<>();
    all.put(RunnelConfig.RETRY_BACKOFF_INITIAL_MS_CONFIG, 100L);
    all.put(RunnelConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1_000L);
    all.putAll(settings);
    this.config = new RunnelConfig(all);
    this.topics = Topics.from(config);
    this.publisher = publisher;
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "runnel-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    this.driver =
        new TopologyTestDriver(
            RunnelTopology.build(
                config,
                applications,
                config.immediateLane() ? Optional.of(publisher) : Optional.empty(),
                hooks,
                config.getInt(RunnelConfig.TOPIC_PARTITIONS_CONFIG)),
            props);
    this.prompts =
        driver.createInputTopic(
            topics.prompts().name(),
            topics.prompts().keySerde().serializer(),
            topics.prompts().valueSerde().serializer());
    this.rawPrompts =
        driver.createInputTopic(
            topics.prompts().name(), new ByteArraySerializer(), new ByteArraySerializer());
    this.cancellations =
        driver.createInputTopic(
            topics.cancellations().name(),
            topics.cancellations().keySerde().serializer(),
            topics.cancellations().valueSerde().serializer());
    this.chunks =
        driver.createOutputTopic(
            topics.chunks().name(),
            topics.chunks().keySerde().deserializer(),
            topics.chunks().valueSerde().deserializer());
    this.sessions =
        driver.createOutputTopic(
            topics.sessions().name(),
            topics.sessions().keySerde().deserializer(),
            topics.sessions().valueSerde().deserializer());
    this.deadLetters =
        driver.createOutputTopic(
            topics.deadLetters().name(),
            topics.deadLetters().keySerde().deserializer(),
            topics.deadLetters().valueSerde().deserializer());
  }

  /** The tool-results topic, which the topology reads when an application declares remote tools. */
  TestInputTopic<String, ToolResult> toolResults() {
    return driver.createInputTopic(
        topics.toolResults().name(),
        topics.toolResults().keySerde().serializer(),
        topics.toolResults().valueSerde().serializer());
  }

  /** The tool-results topic for values as a service in any language writes them (JSON, say). */
  TestInputTopic<byte[], byte[]> rawToolResults() {
    return driver.createInputTopic(
        topics.toolResults().name(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Every call published to the tool-calls topic since the last read. */
  List<ToolInvocation> toolCalls() {
    return driver
        .createOutputTopic(
            topics.toolCalls().name(),
            topics.toolCalls().keySerde().deserializer(),
            topics.toolCalls().valueSerde().deserializer())
        .readValuesToList();
  }

  void send(String session, String content) {
    prompts.pipeInput(session, Prompt.newBuilder().setContent(content).build());
  }

  void send(String session, String requestId, String content) {
    prompts.pipeInput(
        session, Prompt.newBuilder().setRequestId(requestId).setContent(content).build());
  }

  /** Lets the punctuator take in the model's events and start waiting requests. */
  void pump() {
    driver.advanceWallClockTime(Duration.ofMillis(10));
  }

  /**
   * Pumps until session {@code session}'s state reaches {@code version}, and returns that state.
   */
  SessionState awaitVersion(String session, long version) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              pump();
              return states(session).stream().anyMatch(s -> s.getVersion() == version);
            });
    return states(session).stream()
        .filter(s -> s.getVersion() == version)
        .findFirst()
        .orElseThrow();
  }

  /** Lets enough time pass for any retry backoff to run out. */
  void pumpPastBackoff() {
    pump();
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    pump();
  }

  /** Every chunk that reached the chunks topic or the immediate lane, topic records last. */
  List<Chunk> allChunks() {
    chunkLog.addAll(chunks.readValuesToList());
    List<Chunk> all = new ArrayList<>(publisher.sent());
    all.addAll(chunkLog);
    return all;
  }

  List<Chunk> endChunks() {
    return allChunks().stream().filter(Chunk::getEnd).collect(Collectors.toList());
  }

  /**
   * The text a consumer rebuilds: the deltas whose (attempt, callId) equal the request's end
   * record's, in sequence order, each sequence once.
   */
  String rebuiltText(String requestId) {
    List<Chunk> ofRequest =
        allChunks().stream()
            .filter(c -> c.getRequestId().equals(requestId))
            .collect(Collectors.toList());
    Chunk end =
        ofRequest.stream()
            .filter(Chunk::getEnd)
            .reduce((first, second) -> second)
            .orElseThrow(() -> new AssertionError("no end record for " + requestId));
    Map<Integer, String> bySequence = new TreeMap<>();
    for (Chunk c : ofRequest) {
      if (!c.getEnd()
          && c.getAttempt() == end.getAttempt()
          && Objects.equals(c.getCallId(), end.getCallId())) {
        bySequence.putIfAbsent(c.getSequence(), c.getDelta());
      }
    }
    return String.join("", bySequence.values());
  }

  /**
   * What a live view shows after every delta of the request so far, in arrival order: a lower
   * attempt is ignored; a higher attempt, or the same attempt from another call, starts over.
   */
  String shownText(String requestId) {
    int attempt = 0;
    String callId = null;
    Map<Integer, String> shown = new TreeMap<>();
    for (Chunk c : allChunks()) {
      if (!c.getRequestId().equals(requestId) || c.getEnd() || c.getAttempt() < attempt) {
        continue;
      }
      if (c.getAttempt() > attempt || !Objects.equals(c.getCallId(), callId)) {
        attempt = c.getAttempt();
        callId = c.getCallId();
        shown.clear();
      }
      shown.putIfAbsent(c.getSequence(), c.getDelta());
    }
    return String.join("", shown.values());
  }

  /** Every session state published so far, in order. */
  List<SessionState> states() {
    sessionLog.addAll(sessions.readValuesToList());
    return List.copyOf(sessionLog);
  }

  List<SessionState> states(String session) {
    return states().stream()
        .filter(s -> s.getSessionId().equals(session))
        .collect(Collectors.toList());
  }

  @Override
  public void close() {
    driver.close();
  }

  /** The records of every store's changelog topic, by store name. */
  Map<String, List<KeyValue<byte[], byte[]>>> changelogs() {
    Map<String, List<KeyValue<byte[], byte[]>>> changelogs = new HashMap<>();
    for (String store : STORES.keySet()) {
      changelogs.put(
          store,
          driver
              .createOutputTopic(
                  "runnel-test-" + store + "-changelog",
                  new ByteArrayDeserializer(),
                  new ByteArrayDeserializer())
              .readKeyValuesToList());
    }
    return changelogs;
  }

  /**
   * Replays changelog records into this driver's stores, as Kafka Streams does for a task's new
   * owner before the task runs. (The test driver wipes its state directory on close, so a restore
   * has to be replayed by hand.)
   */
  void restore(Map<String, List<KeyValue<byte[], byte[]>>> changelogs) {
    changelogs.forEach(
        (store, records) -> {
          KeyValueStore<String, Object> target = driver.getKeyValueStore(store);
          for (KeyValue<byte[], byte[]> record : records) {
            String key = new String(record.key, StandardCharsets.UTF_8);
            if (record.value == null) {
              target.delete(key);
            } else {
              target.put(key, STORES.get(store).decode(record.value));
            }
          }
        });
  }
}
