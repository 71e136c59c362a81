package dev.runnel.processor.internal;

import dev.runnel.action.ActionInput;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.hook.RequestEvent;
import dev.runnel.hook.RunHook;
import dev.runnel.hook.RunInfo;
import dev.runnel.hook.RunOutcome;
import dev.runnel.hook.StateApplied;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.FinishReason;
import dev.runnel.model.TokenUsage;
import dev.runnel.processor.DeltaPublisher;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.PendingApproval;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.PromptToolResult;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolInvocation;
import dev.runnel.schemas.ToolResult;
import dev.runnel.schemas.internal.AwaitedCall;
import dev.runnel.schemas.internal.FinishedStep;
import dev.runnel.schemas.internal.PendingRequest;
import dev.runnel.schemas.internal.RequestOutcome;
import dev.runnel.schemas.internal.SessionQueue;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.InputDecoder;
import dev.runnel.tool.Decision;
import dev.runnel.tool.RemoteCall;
import dev.runnel.tool.RemoteResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts a {@link StreamingAction} on a stream thread without ever waiting on it. See {@link
 * StreamingActionProcessorSupplier} for the rules it keeps.
 */
final class StreamingActionProcessor implements Processor<byte[], byte[], String, SpecificRecord> {
  private static final Logger log = LoggerFactory.getLogger(StreamingActionProcessor.class);

  /** Longest request id accepted (each session remembers runnel.dedup.window of them). */
  static final int MAX_REQUEST_ID_CHARS = 256;

  private final ProcessorSettings settings;
  private final Actions actions;
  private final Optional<DeltaPublisher> publisher;
  private final CallSlots slots;
  private final RunHook hooks;
  private final Backoff backoff;
  private final AvroSerde<Prompt> prompts = AvroSerde.of(Prompt.class);
  private final InputDecoder<Prompt> promptInput;
  private final InputDecoder<Cancellation> cancellationInput;
  private final InputDecoder<ToolResult> toolResultInput;

  /** How often waits for remote tools are checked against their deadlines. */
  private static final Duration DEADLINE_CHECK = Duration.ofSeconds(1);

  /** Sessions running a call on this task. */
  private final Map<String, Run> running = new HashMap<>();

  /** Sessions whose head request waits to start, in arrival order, with the time it may start. */
  private final LinkedHashMap<String, Long> ready = new LinkedHashMap<>();

  /** Events from the runs' threads, taken in on the stream thread at each punctuation. */
  private final ConcurrentLinkedQueue<RunEvent> events = new ConcurrentLinkedQueue<>();

  /**
   * Sessions whose head request waits for remote tools' answers, with the earliest deadline of the
   * calls not yet answered. Nothing runs for them and no thread is held; the wait is in the store.
   */
  private final Map<String, Long> waiting = new HashMap<>();

  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, SessionState> states;
  private KeyValueStore<String, SessionQueue> queues;
  private KeyValueStore<String, PendingRequest> pending;
  private Cancellable punctuator;
  private Cancellable deadlineChecker;
  private boolean resumed;

  StreamingActionProcessor(
      ProcessorSettings settings,
      Actions actions,
      Optional<DeltaPublisher> publisher,
      CallSlots slots,
      RunHook hooks) {
    this.settings = settings;
    this.actions = actions;
    this.publisher = publisher;
    this.slots = slots;
    this.hooks = hooks;
    this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax());
    this.promptInput = InputDecoder.of(Prompt.class, settings.schemaRegistry());
    this.cancellationInput = InputDecoder.of(Cancellation.class, settings.schemaRegistry());
    this.toolResultInput = InputDecoder.of(ToolResult.class, settings.schemaRegistry());
  }

  /** A running attempt. */
  private static final class Run {
    final RunKey key;
    final RunInfo info;
    final RunOutput output;
    final long startedNanos = System.nanoTime();
    RunningAction handle = () -> {};

    Run(RunKey key, RunInfo info, RunOutput output) {
      this.key = key;
      this.info = info;
      this.output = output;
    }

    void stop() {
      output.close();
      handle.cancel();
    }
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.states = context.getStateStore(StreamingActionProcessorSupplier.STATE_STORE);
    this.queues = context.getStateStore(StreamingActionProcessorSupplier.QUEUE_STORE);
    this.pending = context.getStateStore(StreamingActionProcessorSupplier.PENDING_STORE);
    // The first punctuation resumes unfinished requests even if no record ever arrives.
    wake();
  }

  /**
   * Punctuates from now on. Kafka Streams marks a task as needing a commit after every punctuation,
   * so a punctuator left running with nothing to do would commit every commit.interval.ms; it runs
   * only while this task has calls running or requests waiting to start.
   */
  private void wake() {
    if (punctuator == null) {
      punctuator =
          context.schedule(
              settings.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }
  }

  /**
   * Checks deadlines while runs wait for remote tools, on a coarse schedule of its own: a wait may
   * last minutes, and the call punctuator would commit the task every commit.interval.ms meanwhile.
   */
  private void watchDeadlines() {
    if (deadlineChecker == null && !waiting.isEmpty()) {
      deadlineChecker =
          context.schedule(DEADLINE_CHECK, PunctuationType.WALL_CLOCK_TIME, this::checkDeadlines);
    } else if (deadlineChecker != null && waiting.isEmpty()) {
      deadlineChecker.cancel();
      deadlineChecker = null;
    }
  }

  /** Stops punctuating once no call runs and no request waits; only a new record brings work. */
  private void sleepIfIdle() {
    if (punctuator != null && running.isEmpty() && ready.isEmpty() && events.isEmpty()) {
      punctuator.cancel();
      punctuator = null;
    }
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    resumeOnce();
    RecordMetadata source =
        Placement.origin(
            record.headers(),
            context.recordMetadata().orElseThrow(),
            StreamingActionProcessorSupplier.rerouteTopic(context.applicationId()));
    if (source.topic().equals(settings.cancellationsTopic())) {
      onCancellation(record, source);
    } else if (source.topic().equals(settings.toolResultsTopic())) {
      onToolResult(record, source);
    } else {
      onPrompt(record, source);
    }
    if (!running.isEmpty() || !ready.isEmpty()) {
      wake();
    }
  }

  @Override
  public void close() {
    if (punctuator != null) {
      punctuator.cancel();
      punctuator = null;
    }
    if (deadlineChecker != null) {
      deadlineChecker.cancel();
      deadlineChecker = null;
    }
    for (Run run : running.values()) {
      run.stop();
      slots.release();
      hooks.afterRun(run.info, new RunOutcome.Interrupted());
    }
    running.clear();
    ready.clear();
    waiting.clear();
    events.clear();
    // Kafka Streams may init this same object again (suspend and resume, or a task revived after
    // a dirty close): the runs stopped above must then be found and restarted again.
    resumed = false;
  }

  /**
   * The record's session id, or null after sending the record to dead letters for a missing or
   * invalid key.
   */
  private String sessionOrReject(
      Record<byte[], byte[]> record, RecordMetadata source, String what) {
    try {
      String sessionId = SessionKeys.decode(record.key());
      if (sessionId == null) {
        rejectInput(
            record, source, null, null, "NO_KEY", "a " + what + " needs a session id as its key");
      }
      return sessionId;
    } catch (SessionKeys.Invalid e) {
      rejectInput(record, source, null, null, "INVALID_KEY", e.getMessage());
      return null;
    }
  }

  private void onPrompt(Record<byte[], byte[]> record, RecordMetadata source) {
    String sessionId = sessionOrReject(record, source, "prompt");
    if (sessionId == null) {
      return;
    }
    if (record.value() == null) {
      rejectInput(record, source, sessionId, null, "NO_VALUE", "a prompt record has no value");
      return;
    }
    if (record.value().length > settings.sessionMaxBytes()) {
      // Checked before decoding: the accepted prompt is stored whole, and must fit in a record.
      rejectInput(
          record,
          source,
          sessionId,
          null,
          "PROMPT_TOO_LARGE",
          "the prompt record has "
              + record.value().length
              + " bytes, more than runnel.session.max.bytes="
              + settings.sessionMaxBytes());
      return;
    }
    Prompt prompt;
    try {
      prompt = promptInput.decode(source.topic(), record.value());
    } catch (SerializationException e) {
      rejectInput(record, source, sessionId, null, "UNDESERIALIZABLE", e.getMessage());
      return;
    }
    String requestId =
        prompt.getRequestId() == null || prompt.getRequestId().isBlank()
            ? source.topic() + "-" + source.partition() + "-" + source.offset()
            : prompt.getRequestId();
    if (requestId.length() > MAX_REQUEST_ID_CHARS) {
      // Each session remembers its recent ids, and every record of the request carries its id.
      rejectInput(
          record,
          source,
          sessionId,
          null,
          "INVALID_REQUEST_ID",
          "the request id has "
              + requestId.length()
              + " characters; at most "
              + MAX_REQUEST_ID_CHARS
              + " are allowed");
      return;
    }
    String content = prompt.getContent();
    if (content.isBlank() && ClientTools.toolResults(prompt).isEmpty()) {
      rejectInput(record, source, sessionId, requestId, "EMPTY_PROMPT", "the prompt is empty");
      return;
    }
    long length = content.length();
    for (PromptToolResult result : ClientTools.toolResults(prompt)) {
      length += result.getContent().length();
    }
    if (length > settings.promptMaxChars()) {
      rejectInput(
          record,
          source,
          sessionId,
          requestId,
          "PROMPT_TOO_LARGE",
          "the prompt has "
              + length
              + " characters (its content and tool results), more than runnel.prompt.max.chars="
              + settings.promptMaxChars());
      return;
    }
    try {
      ClientTools.check(prompt);
    } catch (IllegalArgumentException e) {
      rejectInput(record, source, sessionId, requestId, "INVALID_TOOLS", e.getMessage());
      return;
    }
    String model = prompt.getModel() == null ? settings.defaultModel() : prompt.getModel();
    if (!settings.allowedModels().isEmpty() && !settings.allowedModels().contains(model)) {
      rejectInput(
          record,
          source,
          sessionId,
          requestId,
          "UNKNOWN_MODEL",
          "model '" + model + "' is not in runnel.model.allowed " + settings.allowedModels());
      return;
    }
    String action = prompt.getAction() == null ? actions.defaultName() : prompt.getAction();
    if (actions.named(action).isEmpty()) {
      rejectInput(
          record,
          source,
          sessionId,
          requestId,
          "UNKNOWN_ACTION",
          "action '" + action + "' is not hosted here (actions: " + actions.names() + ")");
      return;
    }
    SessionQueue queue = queueOf(sessionId);
    Optional<RequestOutcome> finished = outcomeOf(queue, requestId);
    if (finished.isPresent()) {
      log.debug(
          "Session {} request {} is a duplicate; answered with its outcome", sessionId, requestId);
      forward(
          settings.chunksSink(),
          sessionId,
          Chunks.duplicate(sessionId, finished.get()),
          context.currentSystemTimeMs());
      hooks.onRequest(new RequestEvent(sessionId, requestId, RequestEvent.Kind.DUPLICATE, null));
      return;
    }
    if (isPending(sessionId, requestId)) {
      // The original is queued or running: its own chunks, under the same request id, answer both.
      log.debug("Session {} request {} is a duplicate of a pending one", sessionId, requestId);
      hooks.onRequest(new RequestEvent(sessionId, requestId, RequestEvent.Kind.DUPLICATE, null));
      return;
    }
    if (queue.getNext() - queue.getHead() >= settings.sessionQueueMax()) {
      rejectInput(
          record,
          source,
          sessionId,
          requestId,
          "SESSION_QUEUE_FULL",
          "session already has "
              + (queue.getNext() - queue.getHead())
              + " prompts waiting (runnel.session.queue.max="
              + settings.sessionQueueMax()
              + ")");
      return;
    }
    prompt.setRequestId(requestId);
    prompt.setModel(model);
    // Fixed at acceptance: a redeployment that changes the first action does not move it.
    prompt.setAction(action);
    pending.put(
        QueueKeys.of(sessionId, queue.getNext()),
        PendingRequest.newBuilder()
            .setRequestId(requestId)
            .setPrompt(prompt)
            .setSourceTopic(source.topic())
            .setSourcePartition(source.partition())
            .setSourceOffset(source.offset())
            .setAcceptedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .build());
    queue.setNext(queue.getNext() + 1);
    queues.put(sessionId, queue);
    hooks.onRequest(new RequestEvent(sessionId, requestId, RequestEvent.Kind.ACCEPTED, null));
    if (!running.containsKey(sessionId)
        && !ready.containsKey(sessionId)
        && !waiting.containsKey(sessionId)) {
      ready.put(sessionId, 0L);
      startReady(context.currentSystemTimeMs());
    }
  }

  private void onCancellation(Record<byte[], byte[]> record, RecordMetadata source) {
    String sessionId = sessionOrReject(record, source, "cancellation");
    if (sessionId == null) {
      return;
    }
    String requestId;
    try {
      Cancellation cancellation = cancellationInput.decode(source.topic(), record.value());
      requestId = cancellation == null ? null : cancellation.getRequestId();
    } catch (SerializationException e) {
      rejectInput(record, source, sessionId, null, "UNDESERIALIZABLE", e.getMessage());
      return;
    }
    Run run = running.get(sessionId);
    if (run != null && (requestId == null || requestId.equals(run.key.requestId()))) {
      end(run);
      hooks.afterRun(run.info, applyCancelled(run.key, run.output.deltas()));
      return;
    }
    SessionQueue queue = queueOf(sessionId);
    PendingRequest head = headOf(sessionId, queue);
    if (run == null
        && head != null
        && (requestId == null || requestId.equals(head.getRequestId()))) {
      ready.remove(sessionId);
      if (waiting.remove(sessionId) != null) {
        watchDeadlines();
      }
      applyCancelled(new RunKey(sessionId, head.getRequestId(), head.getAttempt(), null), 0);
      hooks.onRequest(
          new RequestEvent(sessionId, head.getRequestId(), RequestEvent.Kind.CANCELLED, null));
      return;
    }
    if (requestId != null && cancelQueued(sessionId, requestId)) {
      return;
    }
    log.debug("Session {}: nothing to cancel for request {}", sessionId, requestId);
  }

  /**
   * Takes a tool service's answer into the waiting run's journal; the run's next step starts once
   * every call it waits for is answered. An answer no run waits for (late, repeated, or for a call
   * never asked) goes to the dead letters, saying so.
   */
  private void onToolResult(Record<byte[], byte[]> record, RecordMetadata source) {
    String sessionId = sessionOrReject(record, source, "tool result");
    if (sessionId == null) {
      return;
    }
    ToolResult result;
    try {
      result = toolResultInput.decode(source.topic(), record.value());
    } catch (SerializationException e) {
      rejectInput(record, source, sessionId, null, "UNDESERIALIZABLE", e.getMessage());
      return;
    }
    if (result == null) {
      rejectInput(record, source, sessionId, null, "NO_VALUE", "a tool result record has no value");
      return;
    }
    SessionQueue queue = queueOf(sessionId);
    PendingRequest head = waiting.containsKey(sessionId) ? headOf(sessionId, queue) : null;
    AwaitedCall call = null;
    for (AwaitedCall awaited : head == null ? List.<AwaitedCall>of() : head.getAwaiting()) {
      if (!awaited.getAnswered() && awaited.getCallId().equals(result.getCallId())) {
        call = awaited;
      }
    }
    if (call == null) {
      rejectInput(
          record,
          source,
          sessionId,
          head == null ? null : head.getRequestId(),
          "UNMATCHED_TOOL_RESULT",
          "no run of session "
              + sessionId
              + " waits for an answer to call '"
              + result.getCallId()
              + "': it was answered already, its run ended (a deadline passed, or it was"
              + " cancelled), or it was never asked");
      return;
    }
    String mismatch =
        call.getApproval()
            ? (result.getDecision() == null
                ? "call '"
                    + call.getCallId()
                    + "' of session "
                    + sessionId
                    + " waits for a person's decision: the result needs a decision (APPROVED or"
                    + " REJECTED)"
                : null)
            : (result.getDecision() != null
                ? "call '"
                    + call.getCallId()
                    + "' of session "
                    + sessionId
                    + " waits for tool "
                    + call.getTool()
                    + "'s answer, not for a decision: a result with a decision answers only a"
                    + " call that needs approval"
                : null);
    if (mismatch != null) {
      rejectInput(record, source, sessionId, head.getRequestId(), "INVALID_TOOL_RESULT", mismatch);
      return;
    }
    call.setAnswered(true);
    call.setContent(result.getContent());
    call.setError(result.getError());
    call.setDecision(result.getDecision());
    pending.put(QueueKeys.of(sessionId, queue.getHead()), head);
    log.debug(
        "Session {} call {} answered by tool {}", sessionId, call.getCallId(), call.getTool());
    awaitOrReady(sessionId, head);
    startReady(context.currentSystemTimeMs());
  }

  /**
   * Puts a session whose head finished a step among those waiting for remote answers, or, once
   * every call is answered, among those ready to start the next step.
   */
  private void awaitOrReady(String sessionId, PendingRequest request) {
    long deadline = Long.MAX_VALUE;
    for (AwaitedCall call : request.getAwaiting()) {
      if (!call.getAnswered()) {
        deadline = Math.min(deadline, call.getDeadline().toEpochMilli());
      }
    }
    if (deadline == Long.MAX_VALUE) {
      waiting.remove(sessionId);
      ready.putIfAbsent(sessionId, 0L);
    } else {
      waiting.put(sessionId, deadline);
    }
    watchDeadlines();
  }

  /** Fails the runs whose remote calls were not answered by their deadline. */
  private void checkDeadlines(long now) {
    resumeOnce();
    List<String> late = new ArrayList<>();
    waiting.forEach(
        (sessionId, deadline) -> {
          if (deadline <= now) {
            late.add(sessionId);
          }
        });
    for (String sessionId : late) {
      waiting.remove(sessionId);
      PendingRequest request = headOf(sessionId, queueOf(sessionId));
      if (request == null) {
        continue;
      }
      AwaitedCall first = null;
      for (AwaitedCall call : request.getAwaiting()) {
        if (!call.getAnswered()
            && (first == null || call.getDeadline().isBefore(first.getDeadline()))) {
          first = call;
        }
      }
      RunKey key =
          new RunKey(
              sessionId,
              request.getRequestId(),
              request.getAttempt(),
              null,
              request.getStep(),
              request.getStepAction());
      RunInfo info =
          new RunInfo(
              sessionId, request.getRequestId(), request.getAttempt(), request.getStepAction());
      hooks.afterRun(
          info,
          failForGood(
              key,
              first.getApproval()
                  ? ApplicationHalted.approvalTimeout(
                      first.getTool(),
                      first.getCallId(),
                      first.getDeadline(),
                      settings.toolResultsTopic())
                  : ApplicationHalted.toolTimeout(
                      first.getTool(),
                      first.getCallId(),
                      first.getDeadline(),
                      settings.toolResultsTopic()),
              0,
              now));
    }
    watchDeadlines();
    startReady(now);
    sleepIfIdle();
  }

  private void punctuate(long now) {
    resumeOnce();
    RunEvent event;
    while ((event = events.poll()) != null) {
      Run run = running.get(event.run().sessionId());
      if (run == null || !run.key.equals(event.run())) {
        continue; // from an attempt that was cancelled, retried or closed
      }
      try {
        if (event instanceof RunEvent.Delta delta) {
          forward(settings.chunksSink(), delta.chunk().getSessionId(), delta.chunk(), now);
        } else if (event instanceof RunEvent.Finished finished) {
          end(run);
          hooks.afterRun(run.info, applyFinal(run, finished, now));
        } else if (event instanceof RunEvent.Failed failed) {
          end(run);
          hooks.afterRun(run.info, onFailure(run.key, failed.error(), failed.deltas(), now));
        }
      } catch (KafkaException e) {
        throw e; // Kafka's own failures (authorization, fencing) are for Kafka Streams to handle
      } catch (RuntimeException e) {
        // A bug in an action's result must not kill the stream thread; the request fails.
        log.error(
            "Session {} request {}: cannot apply the run's result",
            run.key.sessionId(),
            run.key.requestId(),
            e);
        if (running.get(run.key.sessionId()) == run) {
          end(run);
        }
        hooks.afterRun(run.info, failForGood(run.key, e, 0, now));
      }
    }
    startReady(now);
    sleepIfIdle();
  }

  /**
   * Readies every session with pending requests: they were accepted and not finished, so each head
   * (re)starts with the next attempt number, not before the due time of a retry's backoff. A head
   * may have started here or on a crashed owner after the last commit, with its deltas already
   * visible in the immediate lane, so its restart can carry an attempt number that a consumer has
   * seen; its new callId tells the two calls apart. Kafka Streams restores the stores before a task
   * runs; this runs before the task's first record or punctuation after each init.
   */
  private void resumeOnce() {
    if (!resumed) {
      resumed = true;
      resumeUnfinished();
    }
  }

  private void resumeUnfinished() {
    int count = 0;
    try (KeyValueIterator<String, SessionQueue> all = queues.all()) {
      while (all.hasNext()) {
        KeyValue<String, SessionQueue> entry = all.next();
        PendingRequest head = headOf(entry.key, entry.value);
        if (head == null || running.containsKey(entry.key)) {
          continue;
        }
        Instant notBefore = head.getNotBefore();
        if (!head.getAwaiting().isEmpty() && head.getAttempt() == 0) {
          awaitOrReady(entry.key, head);
        } else {
          ready.putIfAbsent(entry.key, notBefore == null ? 0L : notBefore.toEpochMilli());
        }
        count++;
      }
    }
    if (count > 0) {
      log.info("Task {} resumes {} sessions with unfinished requests", context.taskId(), count);
    }
  }

  /** Starts waiting sessions whose time has come, while there are free call slots. */
  private void startReady(long now) {
    List<String> due = new ArrayList<>();
    for (Iterator<Map.Entry<String, Long>> it = ready.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Long> entry = it.next();
      if (entry.getValue() > now) {
        continue;
      }
      if (!slots.tryAcquire()) {
        break;
      }
      it.remove();
      due.add(entry.getKey());
    }
    for (String sessionId : due) {
      start(sessionId);
    }
  }

  private void start(String sessionId) {
    SessionQueue queue = queueOf(sessionId);
    PendingRequest request = headOf(sessionId, queue);
    if (request == null) {
      slots.release();
      return;
    }
    int attempt = request.getAttempt() + 1;
    request.setAttempt(attempt);
    request.setNotBefore(null);
    pending.put(QueueKeys.of(sessionId, queue.getHead()), request);
    // Random, not counted: a counter kept in a store rolls back with a transaction and one kept in
    // memory restarts with the process, and either could then name two calls alike. The attempt
    // number is not committed before the call starts, since the callId alone keeps calls apart.
    Prompt prompt = request.getPrompt();
    Optional<Application> application = applicationOf(prompt);
    // The journal names the step to run; a run that has not finished a step starts at the entry.
    String actionName =
        request.getStepAction() != null
            ? request.getStepAction()
            : application.map(Application::entry).orElse(applicationName(prompt));
    Optional<StreamingAction> action = application.flatMap(a -> a.action(actionName));
    RunKey key =
        new RunKey(
            sessionId,
            request.getRequestId(),
            attempt,
            UUID.randomUUID().toString(),
            request.getStep(),
            actionName);
    RunInfo info = new RunInfo(sessionId, request.getRequestId(), attempt, actionName);
    RunOutput output =
        new RunOutput(
            key,
            action.map(a -> a.spec().writes()).orElse(Set.of()),
            publisher,
            settings.deltaCoalesceMaxChars(),
            events::add,
            info,
            hooks);
    Run run = new Run(key, info, output);
    running.put(sessionId, run);
    hooks.beforeRun(info);
    if (application.isEmpty()) {
      output.fail(new UnknownAction(applicationName(prompt), actions.names()));
      return;
    }
    if (action.isEmpty()) {
      output.fail(new UnknownAction(application.get().name(), actionName));
      return;
    }
    ActionInput input =
        new ActionInput(
            sessionId,
            request.getRequestId(),
            attempt,
            prompt.getContent(),
            prompt.getModel(),
            prompt.getAttributes(),
            request.getStep(),
            remoteResults(request),
            ClientTools.specs(prompt),
            ClientTools.results(prompt));
    try {
      run.handle =
          action
              .get()
              .start(
                  SessionStates.view(stateOf(sessionId), action.get().spec().reads()),
                  input,
                  output);
    } catch (RuntimeException e) {
      output.fail(e);
    }
  }

  /** The answers the step about to run finds in its input, in the order its predecessor asked. */
  private static List<RemoteResult> remoteResults(PendingRequest request) {
    List<RemoteResult> results = new ArrayList<>();
    for (AwaitedCall call : request.getAwaiting()) {
      results.add(
          new RemoteResult(
              call.getCallId(),
              call.getTool(),
              call.getContent(),
              Optional.ofNullable(call.getError()),
              Optional.ofNullable(call.getDecision()).map(d -> Decision.valueOf(d.name()))));
    }
    return results;
  }

  private RunOutcome applyFinal(Run run, RunEvent.Finished finished, long now) {
    RunKey key = run.key;
    PendingRequest request = headOf(key.sessionId(), queueOf(key.sessionId()));
    Optional<Application> application =
        request == null ? Optional.empty() : applicationOf(request.getPrompt());
    SessionState next;
    try {
      next =
          SessionStates.completed(
              stateOf(key.sessionId()),
              key,
              RequestStatus.RUNNING,
              finished.result(),
              finished.update(),
              Instant.ofEpochMilli(now),
              settings.sessionMaxMessages(),
              settings.sessionMaxBytes());
    } catch (StateTooLarge e) {
      // The answer cannot be kept; the request ends here, so it is never asked again.
      return failForGood(key, e, finished.deltas(), now);
    }
    // The first transition that holds names the next step; a halting action without one ends the
    // run, as does an application deployed without the step's action since.
    Optional<String> to =
        application
            .filter(a -> a.hasTransitions(key.action()))
            .flatMap(a -> a.next(key.action(), SessionStates.fullView(next)));
    boolean halts = to.isEmpty() && application.map(a -> a.halts(key.action())).orElse(true);
    Optional<ContractViolation> badCalls =
        remoteCallsRefused(application, key, finished.remoteCalls(), halts);
    if (badCalls.isPresent()) {
      return failForGood(key, badCalls.get(), finished.deltas(), now);
    }
    if (halts) {
      next.setLastStatus(RequestStatus.COMPLETED);
    }
    next.setPendingApprovals(pendingApprovals(key, finished.remoteCalls(), now));
    states.put(key.sessionId(), next);
    forward(settings.sessionsSink(), key.sessionId(), next, now);
    applied(key, next, halts ? StateApplied.Status.COMPLETED : StateApplied.Status.STEP_COMPLETED);
    // The step's records on the chunks topic go on after its deltas: the tool results it added to
    // the conversation, then the approvals it waits for (or the end record).
    int records = finished.deltas();
    for (ChatMessage message : finished.update().appendedMessages()) {
      if (message.role() == ChatMessage.Role.TOOL) {
        forward(
            settings.chunksSink(),
            key.sessionId(),
            Chunks.toolResult(key, records++, message.toolCallId(), message.content()),
            now);
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - run.startedNanos);
    if (!halts) {
      return nextStep(application.get(), request, key, to, finished, next, records, now)
          .map(error -> (RunOutcome) failForGood(key, error, finished.deltas(), now))
          .orElseGet(() -> new RunOutcome.Completed(took, finished.result().usage()));
    }
    int earlierText = 0;
    for (FinishedStep step : request == null ? List.<FinishedStep>of() : request.getJournal()) {
      earlierText += step.getTextLength();
    }
    Optional<TokenUsage> usage = finished.result().usage();
    Chunk end =
        Chunks.end(
            key,
            records,
            toSchema(finished.result().finishReason().orElse(FinishReason.STOP)),
            usage
                .map(
                    u ->
                        new dev.runnel.schemas.TokenUsage(
                            u.promptTokens(), u.completionTokens(), u.totalTokens()))
                .orElse(null),
            null,
            earlierText + finished.textLength(),
            next.getVersion());
    forward(settings.chunksSink(), key.sessionId(), end, now);
    popHead(key.sessionId(), outcome(end));
    return new RunOutcome.Completed(took, usage);
  }

  /**
   * Journals a finished step that does not halt and readies the next one, in the transaction that
   * applied the step's update: once committed, the step is never run again. Returns why the run
   * cannot go on, if it cannot.
   */
  private Optional<ApplicationHalted> nextStep(
      Application application,
      PendingRequest request,
      RunKey key,
      Optional<String> to,
      RunEvent.Finished finished,
      SessionState next,
      int records,
      long now) {
    if (to.isEmpty()) {
      return Optional.of(ApplicationHalted.noTransition(application.name(), key.action()));
    }
    if (key.step() + 1 >= application.maxSteps()) {
      return Optional.of(ApplicationHalted.stepLimit(application.name(), application.maxSteps()));
    }
    List<FinishedStep> journal = new ArrayList<>(request.getJournal());
    journal.add(
        FinishedStep.newBuilder()
            .setStep(key.step())
            .setAction(key.action())
            .setAttempt(key.attempt())
            .setCallId(key.callId())
            .setDeltas(finished.deltas())
            .setTextLength(finished.textLength())
            .setSessionVersion(next.getVersion())
            .setFinishedAt(Instant.ofEpochMilli(now))
            .build());
    request.setJournal(journal);
    request.setStep(key.step() + 1);
    request.setStepAction(to.get());
    request.setAttempt(0);
    request.setFailures(0);
    request.setNotBefore(null);
    List<AwaitedCall> awaiting = new ArrayList<>();
    Iterator<PendingApproval> approvals = next.getPendingApprovals().iterator();
    int sequence = records;
    for (RemoteCall call : finished.remoteCalls()) {
      Instant deadline = Instant.ofEpochMilli(now).plus(call.timeout());
      awaiting.add(
          AwaitedCall.newBuilder()
              .setCallId(call.callId())
              .setTool(call.tool())
              .setDeadline(deadline)
              .setApproval(call.needsApproval())
              .build());
      // In the transaction that journals the step: the call is asked exactly once, and a restart
      // finds it asked.
      if (call.needsApproval()) {
        forward(
            settings.chunksSink(),
            key.sessionId(),
            Chunks.approval(key, sequence++, approvals.next()),
            now);
        continue;
      }
      forward(
          settings.toolCallsSink(),
          key.sessionId(),
          ToolInvocation.newBuilder()
              .setSessionId(key.sessionId())
              .setRequestId(key.requestId())
              .setStep(key.step())
              .setCallId(call.callId())
              .setTool(call.tool())
              .setArguments(call.arguments())
              .setDeadline(deadline)
              .setRequestedAt(Instant.ofEpochMilli(now))
              .build(),
          now);
    }
    request.setAwaiting(awaiting);
    pending.put(QueueKeys.of(key.sessionId(), queueOf(key.sessionId()).getHead()), request);
    awaitOrReady(key.sessionId(), request);
    return Optional.empty();
  }

  /**
   * Why a finished step may not ask its remote calls, if it may not: the run ends after it, or it
   * asks a tool its application does not declare (whose topics this instance may not have).
   */
  private static Optional<ContractViolation> remoteCallsRefused(
      Optional<Application> application, RunKey key, List<RemoteCall> calls, boolean halts) {
    if (calls.isEmpty()) {
      return Optional.empty();
    }
    if (halts) {
      return Optional.of(
          new ContractViolation(
              "action '"
                  + key.action()
                  + "' asks remote tools "
                  + calls.stream().map(RemoteCall::tool).toList()
                  + ", but the run ends after it: only a step that another follows may ask"));
    }
    Set<String> declared = application.map(Application::remoteTools).orElse(Set.of());
    for (RemoteCall call : calls) {
      if (!declared.contains(call.tool())) {
        return Optional.of(
            new ContractViolation(
                "action '"
                    + key.action()
                    + "' asks remote tool '"
                    + call.tool()
                    + "', which its application does not declare (remote tools: "
                    + declared
                    + ")"));
      }
    }
    return Optional.empty();
  }

  /** The calls among {@code calls} that wait for a person's decision, as the state shows them. */
  private static List<PendingApproval> pendingApprovals(
      RunKey key, List<RemoteCall> calls, long now) {
    List<PendingApproval> approvals = new ArrayList<>();
    for (RemoteCall call : calls) {
      if (call.needsApproval()) {
        approvals.add(
            PendingApproval.newBuilder()
                .setRequestId(key.requestId())
                .setCallId(call.callId())
                .setTool(call.tool())
                .setArguments(call.arguments())
                .setDeadline(Instant.ofEpochMilli(now).plus(call.timeout()))
                .build());
      }
    }
    return approvals;
  }

  private Optional<Application> applicationOf(Prompt prompt) {
    return actions.named(applicationName(prompt));
  }

  /** Prompts accepted before actions had names carry none: they are the first application's. */
  private String applicationName(Prompt prompt) {
    return prompt.getAction() == null ? actions.defaultName() : prompt.getAction();
  }

  private void applied(RunKey key, SessionState next, StateApplied.Status status) {
    hooks.onStateApplied(
        new StateApplied(key.sessionId(), key.requestId(), next.getVersion(), status));
  }

  private RunOutcome onFailure(RunKey key, Throwable error, int deltas, long now) {
    SessionQueue queue = queueOf(key.sessionId());
    PendingRequest request = headOf(key.sessionId(), queue);
    if (request == null) {
      ErrorInfo info = Failures.describe(error);
      return new RunOutcome.Failed(info.getKind(), info.getMessage(), false);
    }
    if (Failures.retriable(error) && request.getFailures() < settings.maxRetries()) {
      int retry = request.getFailures() + 1;
      request.setFailures(retry);
      long delay = backoff.delayMs(retry, Failures.retryAfter(error));
      long due = delay > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + delay;
      // Kept with the request, so a restart during the backoff does not start the retry early.
      request.setNotBefore(Instant.ofEpochMilli(due));
      pending.put(QueueKeys.of(key.sessionId(), queue.getHead()), request);
      ready.put(key.sessionId(), due);
      ErrorInfo info = Failures.describe(error);
      log.info(
          "Session {} request {} attempt {} failed ({}: {}); retry {} of {} in {} ms",
          key.sessionId(),
          key.requestId(),
          key.attempt(),
          Failures.kind(error),
          error.getMessage(),
          retry,
          settings.maxRetries(),
          delay);
      return new RunOutcome.Failed(info.getKind(), info.getMessage(), true);
    }
    return failForGood(key, error, deltas, now);
  }

  private RunOutcome.Failed failForGood(RunKey key, Throwable error, int deltas, long now) {
    ErrorInfo info = Failures.describe(error);
    log.warn(
        "Session {} request {} failed for good after attempt {}: {}: {}",
        key.sessionId(),
        key.requestId(),
        key.attempt(),
        info.getKind(),
        info.getMessage());
    SessionState next =
        SessionStates.failed(stateOf(key.sessionId()), key, info, Instant.ofEpochMilli(now));
    states.put(key.sessionId(), next);
    forward(settings.sessionsSink(), key.sessionId(), next, now);
    applied(key, next, StateApplied.Status.FAILED);
    Chunk end =
        Chunks.end(
            key,
            deltas,
            dev.runnel.schemas.FinishReason.ERROR,
            null,
            info,
            null,
            next.getVersion());
    forward(settings.chunksSink(), key.sessionId(), end, now);
    PendingRequest request = headOf(key.sessionId(), queueOf(key.sessionId()));
    if (request != null) {
      byte[] value = prompts.encode(request.getPrompt());
      forwardDeadLetter(
          key.sessionId(),
          DeadLetter.newBuilder()
              .setSourceTopic(request.getSourceTopic())
              .setSourcePartition(request.getSourcePartition())
              .setSourceOffset(request.getSourceOffset())
              .setSessionId(key.sessionId())
              .setRequestId(key.requestId())
              .setKey(ByteBuffer.wrap(key.sessionId().getBytes(StandardCharsets.UTF_8)))
              .setValue(ByteBuffer.wrap(value))
              .setReason("REQUEST_FAILED")
              .setMessage(info.getKind() + ": " + info.getMessage())
              .setError(info)
              .setTimestamp(Instant.ofEpochMilli(now))
              .build(),
          now);
      hooks.onRequest(
          new RequestEvent(
              key.sessionId(), key.requestId(), RequestEvent.Kind.DEAD_LETTERED, "REQUEST_FAILED"));
    }
    popHead(key.sessionId(), outcome(end));
    return new RunOutcome.Failed(info.getKind(), info.getMessage(), false);
  }

  private RunOutcome applyCancelled(RunKey key, int deltas) {
    popHead(key.sessionId(), recordCancelled(key, deltas));
    return new RunOutcome.Cancelled();
  }

  /**
   * Applies a cancellation as a final: the state records it (and its version rises), then the end
   * record says cancelled.
   */
  private RequestOutcome recordCancelled(RunKey key, int deltas) {
    long now = context.currentSystemTimeMs();
    SessionState next =
        SessionStates.cancelled(stateOf(key.sessionId()), key, Instant.ofEpochMilli(now));
    states.put(key.sessionId(), next);
    forward(settings.sessionsSink(), key.sessionId(), next, now);
    applied(key, next, StateApplied.Status.CANCELLED);
    Chunk end =
        Chunks.end(
            key,
            deltas,
            dev.runnel.schemas.FinishReason.CANCELLED,
            null,
            null,
            null,
            next.getVersion());
    forward(settings.chunksSink(), key.sessionId(), end, now);
    return outcome(end);
  }

  /** Removes a queued request that has not started, and applies its cancellation. */
  private boolean cancelQueued(String sessionId, String requestId) {
    String found = null;
    try (KeyValueIterator<String, PendingRequest> it =
        pending.prefixScan(QueueKeys.prefix(sessionId), new StringSerializer())) {
      while (it.hasNext() && found == null) {
        KeyValue<String, PendingRequest> entry = it.next();
        if (entry.value.getRequestId().equals(requestId)) {
          found = entry.key;
        }
      }
    }
    if (found == null) {
      return false;
    }
    pending.delete(found);
    RequestOutcome outcome = recordCancelled(new RunKey(sessionId, requestId, 0, null), 0);
    SessionQueue queue = queueOf(sessionId);
    remember(queue, outcome);
    queues.put(sessionId, queue);
    hooks.onRequest(new RequestEvent(sessionId, requestId, RequestEvent.Kind.CANCELLED, null));
    return true;
  }

  /** Ends a running attempt: stops it and frees its slot. */
  private void end(Run run) {
    running.remove(run.key.sessionId());
    run.stop();
    slots.release();
  }

  /**
   * Removes the finished head request, remembers its outcome, and readies the session's next
   * request. Skips holes left by cancelled queued requests.
   */
  private void popHead(String sessionId, RequestOutcome outcome) {
    SessionQueue queue = queueOf(sessionId);
    pending.delete(QueueKeys.of(sessionId, queue.getHead()));
    remember(queue, outcome);
    long head = queue.getHead() + 1;
    while (head < queue.getNext() && pending.get(QueueKeys.of(sessionId, head)) == null) {
      head++;
    }
    queue.setHead(head);
    queues.put(sessionId, queue);
    if (head < queue.getNext()) {
      ready.put(sessionId, 0L);
    }
  }

  /**
   * Remembers an applied request's outcome; the window holds at most {@code runnel.dedup.window}
   * entries, ids kept by an older version (without outcome) dropped first.
   */
  private void remember(SessionQueue queue, RequestOutcome outcome) {
    List<String> legacy = new ArrayList<>(queue.getRecentRequestIds());
    List<RequestOutcome> recent = new ArrayList<>(queue.getRecentOutcomes());
    recent.add(outcome);
    int excess = legacy.size() + recent.size() - settings.dedupWindow();
    if (excess > 0) {
      int fromLegacy = Math.min(excess, legacy.size());
      legacy = new ArrayList<>(legacy.subList(fromLegacy, legacy.size()));
      recent = new ArrayList<>(recent.subList(excess - fromLegacy, recent.size()));
    }
    queue.setRecentRequestIds(legacy);
    queue.setRecentOutcomes(recent);
  }

  private static RequestOutcome outcome(Chunk end) {
    return RequestOutcome.newBuilder()
        .setRequestId(end.getRequestId())
        .setFinishReason(end.getFinishReason())
        .setSessionVersion(end.getSessionVersion())
        .setAttempt(end.getAttempt())
        .setCallId(end.getCallId())
        .setSequence(end.getSequence())
        .setTextLength(end.getTextLength())
        .setErrorKind(end.getError() == null ? null : end.getError().getKind())
        .build();
  }

  /** How an applied request ended, if the session still remembers it. */
  private static Optional<RequestOutcome> outcomeOf(SessionQueue queue, String requestId) {
    for (RequestOutcome outcome : queue.getRecentOutcomes()) {
      if (outcome.getRequestId().equals(requestId)) {
        return Optional.of(outcome);
      }
    }
    if (queue.getRecentRequestIds().contains(requestId)) {
      return Optional.of(
          RequestOutcome.newBuilder()
              .setRequestId(requestId)
              .setFinishReason(dev.runnel.schemas.FinishReason.UNKNOWN)
              .build());
    }
    return Optional.empty();
  }

  private boolean isPending(String sessionId, String requestId) {
    try (KeyValueIterator<String, PendingRequest> it =
        pending.prefixScan(QueueKeys.prefix(sessionId), new StringSerializer())) {
      while (it.hasNext()) {
        if (it.next().value.getRequestId().equals(requestId)) {
          return true;
        }
      }
    }
    return false;
  }

  private PendingRequest headOf(String sessionId, SessionQueue queue) {
    return queue.getNext() > queue.getHead()
        ? pending.get(QueueKeys.of(sessionId, queue.getHead()))
        : null;
  }

  private SessionQueue queueOf(String sessionId) {
    SessionQueue queue = queues.get(sessionId);
    return queue != null ? queue : SessionQueue.newBuilder().build();
  }

  private SessionState stateOf(String sessionId) {
    SessionState state = states.get(sessionId);
    return state != null ? state : SessionStates.initial(sessionId);
  }

  private void rejectInput(
      Record<byte[], byte[]> record,
      RecordMetadata source,
      String sessionId,
      String requestId,
      String reason,
      String message) {
    log.warn(
        "Rejected record {}-{}@{} (session {}): {}: {}",
        source.topic(),
        source.partition(),
        source.offset(),
        sessionId,
        reason,
        message);
    forwardDeadLetter(
        sessionId,
        DeadLetter.newBuilder()
            .setSourceTopic(source.topic())
            .setSourcePartition(source.partition())
            .setSourceOffset(source.offset())
            .setSessionId(sessionId)
            .setRequestId(requestId)
            .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
            .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
            .setReason(reason)
            .setMessage(message)
            .setTimestamp(Instant.ofEpochMilli(context.currentSystemTimeMs()))
            .build(),
        record.timestamp());
    hooks.onRequest(
        new RequestEvent(sessionId, requestId, RequestEvent.Kind.DEAD_LETTERED, reason));
  }

  private void forward(String child, String key, SpecificRecord value, long timestamp) {
    context.forward(new Record<>(key, value, timestamp), child);
  }

  /** A dead letter always fits in one record, however large the record it carries was. */
  private void forwardDeadLetter(String sessionId, DeadLetter letter, long timestamp) {
    int keyBytes = sessionId == null ? 0 : sessionId.getBytes(StandardCharsets.UTF_8).length;
    forward(
        settings.deadLettersSink(),
        sessionId,
        DeadLetters.fitting(letter, settings.maxValueBytes(keyBytes)),
        timestamp);
  }

  private static dev.runnel.schemas.FinishReason toSchema(FinishReason reason) {
    return switch (reason) {
      case STOP -> dev.runnel.schemas.FinishReason.STOP;
      case LENGTH -> dev.runnel.schemas.FinishReason.LENGTH;
      case CONTENT_FILTER -> dev.runnel.schemas.FinishReason.CONTENT_FILTER;
      case TOOL_CALLS -> dev.runnel.schemas.FinishReason.TOOL_CALLS;
      case UNKNOWN -> dev.runnel.schemas.FinishReason.UNKNOWN;
    };
  }
}
