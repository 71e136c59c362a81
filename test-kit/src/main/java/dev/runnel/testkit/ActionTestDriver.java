package dev.runnel.testkit;

import dev.runnel.action.ActionState;
import dev.runnel.action.StateKey;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.config.RunnelConfig;
import dev.runnel.processor.RunnelTopology;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.serde.StateFields;
import dev.runnel.topics.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Runs one streaming action, or one application of actions (an agent, say), in Runnel's real
 * topology on Kafka Streams' {@link TopologyTestDriver}, in either delta lane, without a broker:
 *
 * <pre>{@code
 * try (ActionTestDriver driver = ActionTestDriver.builder(StreamingAction.blocking(new MyAction())).build()) {
 *   String request = driver.send("alice", "Hello");
 *   driver.awaitFinal("alice", request);
 *   assertThat(driver.rebuiltText(request)).isEqualTo("...");
 *   assertThat(driver.field("alice", MyAction.COUNT)).hasValue(1);
 * }
 * }</pre>
 *
 * <p>Runs report from their own threads (a model client's, a blocking run's) and Runnel takes their
 * reports in at each punctuation, so time must pass: {@link #advance} moves the driver's wall
 * clock, and {@link #awaitFinal} keeps moving it until a request's outcome is applied. Not
 * thread-safe: use it from the test's thread.
 */
public final class ActionTestDriver implements AutoCloseable {
  private static final Duration STEP = Duration.ofMillis(10);
  private static final Duration DEFAULT_AWAIT_LIMIT = Duration.ofSeconds(10);

  private final Application application;
  private final Duration awaitLimit;
  private final Path stateDir;
  private final TopologyTestDriver driver;
  private final RecordingDeltaPublisher publisher = new RecordingDeltaPublisher();
  private final TestInputTopic<String, Prompt> prompts;
  private final TestInputTopic<String, Cancellation> cancellations;
  private final TestOutputTopic<String, Chunk> chunks;
  private final TestOutputTopic<String, SessionState> sessions;
  private final TestOutputTopic<String, DeadLetter> deadLetters;
  private final List<Chunk> chunkLog = new ArrayList<>();
  private final List<SessionState> stateLog = new ArrayList<>();
  private final List<DeadLetter> deadLetterLog = new ArrayList<>();

  /** Settings and the application of a driver. */
  public static final class Builder {
    private final Application application;
    private final Map<String, Object> settings = new HashMap<>();
    private Duration awaitLimit = DEFAULT_AWAIT_LIMIT;

    private Builder(Application application) {
      this.application = application;
    }

    /**
     * Any Runnel setting, e.g. {@code runnel.delta.lane=transactional} (the default here is {@code
     * immediate}, as in production) or {@code runnel.retry.backoff.initial.ms}.
     */
    public Builder setting(String key, Object value) {
      settings.put(Objects.requireNonNull(key, "key"), value);
      return this;
    }

    /** How long {@link #awaitFinal} waits, in real time, before it fails; 10 s by default. */
    public Builder awaitLimit(Duration limit) {
      if (limit.isNegative() || limit.isZero()) {
        throw new IllegalArgumentException("awaitLimit must be positive, was " + limit);
      }
      awaitLimit = limit;
      return this;
    }

    /**
     * The driver, with a state directory of its own that is deleted on close.
     *
     * @throws org.apache.kafka.common.config.ConfigException on an invalid setting, naming it
     */
    public ActionTestDriver build() {
      return new ActionTestDriver(application, new RunnelConfig(settings), awaitLimit);
    }
  }

  /** A builder for a driver that runs {@code action}; the driver closes it. */
  public static Builder builder(StreamingAction action) {
    return new Builder(Application.of(Objects.requireNonNull(action, "action")));
  }

  /**
   * A builder for a driver that runs {@code application} (prompts that name no action run it, as
   * they run the first application an instance hosts); the driver closes its actions. An
   * application's records carry each step's index and action; {@link #rebuiltText} rebuilds the
   * last step's reply, the one the end record names.
   */
  public static Builder builder(Application application) {
    return new Builder(Objects.requireNonNull(application, "application"));
  }

  private ActionTestDriver(Application application, RunnelConfig config, Duration awaitLimit) {
    this.application = application;
    this.awaitLimit = awaitLimit;
    Topics topics = Topics.from(config);
    try {
      this.stateDir = Files.createTempDirectory("runnel-test-kit");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "runnel-test-kit");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    this.driver =
        new TopologyTestDriver(
            RunnelTopology.build(
                config,
                List.of(application),
                config.immediateLane() ? Optional.of(publisher) : Optional.empty(),
                List.of(),
                config.getInt(RunnelConfig.TOPIC_PARTITIONS_CONFIG)),
            props);
    this.prompts =
        driver.createInputTopic(
            topics.prompts().name(),
            topics.prompts().keySerde().serializer(),
            topics.prompts().valueSerde().serializer());
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

  /** Sends a prompt with a new request id, and returns the id. */
  public String send(String session, String content) {
    String requestId = UUID.randomUUID().toString();
    send(session, requestId, content);
    return requestId;
  }

  /** Sends a prompt with the given request id (a repeated id is answered as a duplicate). */
  public void send(String session, String requestId, String content) {
    prompts.pipeInput(
        session, Prompt.newBuilder().setRequestId(requestId).setContent(content).build());
  }

  /** Sends a prompt record as a producer would, e.g. one naming an action or a model. */
  public void send(String session, Prompt prompt) {
    prompts.pipeInput(session, prompt);
  }

  /** Cancels the request, running or waiting. */
  public void cancel(String session, String requestId) {
    cancellations.pipeInput(session, Cancellation.newBuilder().setRequestId(requestId).build());
  }

  /** Moves the wall clock: Runnel takes in what runs reported and starts waiting requests. */
  public void advance(Duration duration) {
    driver.advanceWallClockTime(duration);
  }

  /**
   * Advances time in small steps until the session's state records the request's outcome
   * (completed, failed or cancelled; not the {@code RUNNING} states an application's steps apply
   * before its last), and returns that state.
   *
   * @throws AssertionError when the {@linkplain Builder#awaitLimit limit} (10 s of real time by
   *     default) passes first, naming the session and request
   */
  public SessionState awaitFinal(String session, String requestId) {
    return awaitFirst(
        () ->
            states(session).stream()
                .filter(
                    s ->
                        requestId.equals(s.getLastRequestId())
                            && s.getLastStatus() != RequestStatus.RUNNING)
                .reduce((first, second) -> second),
        () ->
            "session "
                + session
                + " applied no outcome of request "
                + requestId
                + " within "
                + awaitLimit
                + "; states: "
                + states(session));
  }

  /**
   * Advances time in small steps until the request has streamed a delta, and returns the first; for
   * a test that cancels a run once it is under way.
   *
   * @throws AssertionError when the {@linkplain Builder#awaitLimit limit} passes first, naming the
   *     request
   */
  public Chunk awaitPartial(String requestId) {
    return awaitFirst(
        () ->
            chunks().stream()
                .filter(c -> c.getRequestId().equals(requestId) && !c.getEnd())
                .findFirst(),
        () -> "request " + requestId + " streamed no delta within " + awaitLimit);
  }

  private <T> T awaitFirst(Supplier<Optional<T>> found, Supplier<String> failure) {
    long deadline = System.nanoTime() + awaitLimit.toNanos();
    while (true) {
      Optional<T> result = found.get();
      if (result.isPresent()) {
        return result.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure.get());
      }
      advance(STEP);
      LockSupport.parkNanos(1_000_000);
    }
  }

  /** Every chunk so far: the immediate lane's deltas first, then the chunks topic's records. */
  public List<Chunk> chunks() {
    chunkLog.addAll(chunks.readValuesToList());
    List<Chunk> all = new ArrayList<>(publisher.sent());
    all.addAll(chunkLog);
    return all;
  }

  /**
   * The text a consumer rebuilds for the request: the deltas of the attempt and call its end record
   * names, in sequence order, each sequence once.
   *
   * @throws AssertionError when the request has no end record yet
   */
  public String rebuiltText(String requestId) {
    List<Chunk> ofRequest =
        chunks().stream()
            .filter(c -> c.getRequestId().equals(requestId))
            .collect(Collectors.toList());
    Chunk end =
        ofRequest.stream()
            .filter(Chunk::getEnd)
            .reduce((first, second) -> second)
            .orElseThrow(() -> new AssertionError("no end record for request " + requestId));
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

  /** Every state of the session published so far, in order. */
  public List<SessionState> states(String session) {
    stateLog.addAll(sessions.readValuesToList());
    return stateLog.stream()
        .filter(s -> s.getSessionId().equals(session))
        .collect(Collectors.toList());
  }

  /** The session's latest published state. */
  public Optional<SessionState> latestState(String session) {
    List<SessionState> all = states(session);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * A field of the session's latest state, read through its typed key as the action reads it.
   *
   * @throws IllegalStateException when the field's value is not of the key's type
   */
  public <T> Optional<T> field(String session, StateKey<T> key) {
    return latestState(session)
        .flatMap(
            state ->
                ActionState.ofJson(
                        state.getSessionId(),
                        state.getVersion(),
                        List.of(),
                        StateFields.read(state),
                        Set.of(key.name()))
                    .get(key));
  }

  /** Every dead letter so far, in order. */
  public List<DeadLetter> deadLetters() {
    deadLetterLog.addAll(deadLetters.readValuesToList());
    return List.copyOf(deadLetterLog);
  }

  /** The underlying driver, for what this class does not cover (state stores, other topics). */
  public TopologyTestDriver driver() {
    return driver;
  }

  /** Closes the driver and the actions, and deletes the state directory. */
  @Override
  public void close() {
    try {
      driver.close();
    } finally {
      // An application may name one action object more than once; close each once.
      Set<StreamingAction> closed = Collections.newSetFromMap(new IdentityHashMap<>());
      application.actions().stream().filter(closed::add).forEach(StreamingAction::close);
      try (Stream<Path> paths = Files.walk(stateDir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
