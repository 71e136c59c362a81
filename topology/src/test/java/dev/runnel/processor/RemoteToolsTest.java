package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.Final;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolInvocation;
import dev.runnel.schemas.ToolResult;
import dev.runnel.tool.RemoteCall;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote tools on the processor: a step's remote calls go to the tool-calls topic once, with the
 * step's update; the run waits in the store, holding nothing, until every call has its answer on
 * the tool-results topic; the next step starts with the answers; a restart while waiting asks
 * nothing again; a deadline that passes fails the run; an answer no run waits for is a dead letter.
 */
@Timeout(60)
class RemoteToolsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path stateDir;

  /** How many times each action was started, over every harness of a test. */
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  /** Asks weather and clock remotely, unless the prompt names the tool to ask alone. */
  private StreamingAction ask() {
    return new StreamingAction() {
      @Override
      public ActionSpec spec() {
        return new ActionSpec("ask", Set.of(), Set.of("asked"));
      }

      @Override
      public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
        calls.computeIfAbsent("ask", k -> new AtomicInteger()).incrementAndGet();
        List<RemoteCall> remote =
            input.prompt().startsWith("only ")
                ? List.of(new RemoteCall("c1", input.prompt().substring(5), "{}", TIMEOUT))
                : List.of(
                    new RemoteCall("c1", "weather", "{\"city\":\"Oslo\"}", TIMEOUT),
                    new RemoteCall("c2", "clock", "{}", TIMEOUT));
        output.partial("asking");
        output.last(
            new Final(ActionResult.ofPartials(), StateUpdate.builder().put("asked", "yes").build())
                .withRemoteCalls(remote));
        output.end();
        return () -> {};
      }
    };
  }

  /** Keeps the answers it finds in its input as field "answers". */
  private StreamingAction use() {
    return new StreamingAction() {
      @Override
      public ActionSpec spec() {
        return new ActionSpec("use", Set.of(), Set.of("answers"));
      }

      @Override
      public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
        calls.computeIfAbsent("use", k -> new AtomicInteger()).incrementAndGet();
        String answers =
            input.remoteResults().stream()
                .map(r -> r.callId() + "(" + r.tool() + ")=" + r.text())
                .collect(Collectors.joining(";"));
        output.last(ActionResult.of("used"), StateUpdate.builder().put("answers", answers).build());
        output.end();
        return () -> {};
      }
    };
  }

  private Application lookup() {
    return Application.builder("lookup")
        .action(ask())
        .action(use())
        .entry("ask")
        .transition("ask", "use")
        .halt("use")
        .remoteTool("weather")
        .remoteTool("clock")
        .build();
  }

  private static void send(Harness h, String requestId, String content) {
    h.prompts.pipeInput(
        "s", Prompt.newBuilder().setRequestId(requestId).setContent(content).build());
  }

  private static void answer(Harness h, String callId, String content) {
    h.toolResults()
        .pipeInput("s", ToolResult.newBuilder().setCallId(callId).setContent(content).build());
  }

  @Test
  void theCallsArePublishedOnceAndTheNextStepStartsWithTheirAnswersWhenAllHaveArrived() {
    try (Harness h = new Harness(stateDir, lookup(), Map.of())) {
      send(h, "r1", "weather and time");
      SessionState asked = h.awaitVersion("s", 1);
      assertThat(asked.getLastStatus()).isEqualTo(RequestStatus.RUNNING);
      assertThat(asked.getFields()).containsEntry("asked", "yes");
      List<ToolInvocation> invocations = h.toolCalls();
      assertThat(invocations)
          .extracting(
              ToolInvocation::getSessionId,
              ToolInvocation::getRequestId,
              ToolInvocation::getStep,
              ToolInvocation::getCallId,
              ToolInvocation::getTool,
              ToolInvocation::getArguments)
          .containsExactly(
              tuple("s", "r1", 0, "c1", "weather", "{\"city\":\"Oslo\"}"),
              tuple("s", "r1", 0, "c2", "clock", "{}"));
      assertThat(invocations)
          .allSatisfy(i -> assertThat(i.getDeadline()).isEqualTo(i.getRequestedAt().plus(TIMEOUT)));
      // The session's next prompt waits behind the run, as it would behind a running call.
      send(h, "r2", "only weather");

      answer(h, "c1", "sunny");
      h.pump();
      assertThat(calls).doesNotContainKey("use");
      // A service in another language answers in JSON, and says its tool failed.
      h.rawToolResults()
          .pipeInput(
              "s".getBytes(StandardCharsets.UTF_8),
              "{\"callId\": \"c2\", \"error\": \"clock broke\"}".getBytes(StandardCharsets.UTF_8));
      SessionState done = h.awaitVersion("s", 2);

      assertThat(done.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(done.getFields())
          .containsEntry("answers", "c1(weather)=sunny;c2(clock)=error: clock broke");
      assertThat(h.endChunks())
          .singleElement()
          .satisfies(
              end -> {
                assertThat(end.getRequestId()).isEqualTo("r1");
                assertThat(end.getStep()).isEqualTo(1);
                assertThat(end.getTextLength()).isEqualTo("askingused".length());
              });
      // Only now does r2 start: its own call, then its own wait.
      h.awaitVersion("s", 3);
      assertThat(h.toolCalls())
          .extracting(ToolInvocation::getRequestId, ToolInvocation::getTool)
          .containsExactly(tuple("r2", "weather"));
      assertThat(calls.get("ask")).hasValue(2);
      assertThat(calls.get("use")).hasValue(1);
      assertThat(h.deadLetters.readValuesToList()).isEmpty();
    }
  }

  @Test
  void aRestartWhileWaitingAsksNothingAgainAndTakesTheAnswerThatArrivedMeanwhile() {
    Map<String, List<KeyValue<byte[], byte[]>>> changelogs;
    try (Harness h = new Harness(stateDir, lookup(), Map.of())) {
      send(h, "r1", "weather and time");
      h.awaitVersion("s", 1);
      assertThat(h.toolCalls()).hasSize(2);
      answer(h, "c1", "sunny");
      changelogs = h.changelogs();
    }
    try (Harness h = new Harness(stateDir, lookup(), Map.of())) {
      h.restore(changelogs);
      h.pump();
      assertThat(calls).doesNotContainKey("use");
      answer(h, "c2", "noon");
      SessionState done = h.awaitVersion("s", 2);

      assertThat(done.getFields()).containsEntry("answers", "c1(weather)=sunny;c2(clock)=noon");
      assertThat(h.toolCalls()).isEmpty();
      assertThat(calls.get("ask")).hasValue(1);
      assertThat(calls.get("use")).hasValue(1);
    }
  }

  @Test
  void aDeadlineThatPassesFailsTheRunNamingTheToolAndTheSessionGoesOn() {
    try (Harness h = new Harness(stateDir, lookup(), Map.of())) {
      send(h, "r1", "only weather");
      h.awaitVersion("s", 1);
      send(h, "r2", "only clock");
      h.driver.advanceWallClockTime(TIMEOUT.plusSeconds(2));
      SessionState failed = h.awaitVersion("s", 2);

      assertThat(failed.getLastRequestId()).isEqualTo("r1");
      assertThat(failed.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(failed.getLastError().getKind()).isEqualTo("TOOL_TIMEOUT");
      assertThat(failed.getLastError().getMessage())
          .startsWith("remote tool 'weather' did not answer call 'c1' by its deadline ")
          .endsWith("(answers are read from topic " + h.topics.toolResults().name() + ")");
      assertThat(h.deadLetters.readValuesToList())
          .singleElement()
          .satisfies(
              letter -> {
                assertThat(letter.getReason()).isEqualTo("REQUEST_FAILED");
                assertThat(letter.getRequestId()).isEqualTo("r1");
              });
      // The answer arrives too late: nobody waits for it, and it says so.
      answer(h, "c1", "sunny");
      assertThat(h.deadLetters.readValuesToList())
          .singleElement()
          .satisfies(
              letter -> {
                assertThat(letter.getReason()).isEqualTo("UNMATCHED_TOOL_RESULT");
                assertThat(letter.getMessage()).contains("call 'c1'");
              });
      // r2 started after r1 ended; it asks its own call.
      h.awaitVersion("s", 3);
      assertThat(h.toolCalls())
          .extracting(ToolInvocation::getRequestId, ToolInvocation::getTool)
          .containsExactly(tuple("r1", "weather"), tuple("r2", "clock"));
      answer(h, "c1", "noon");
      assertThat(h.awaitVersion("s", 4).getFields()).containsEntry("answers", "c1(clock)=noon");
    }
  }

  @Test
  void aCancellationWhileWaitingEndsTheRunAndALaterAnswerIsADeadLetter() {
    try (Harness h = new Harness(stateDir, lookup(), Map.of())) {
      send(h, "r1", "only weather");
      h.awaitVersion("s", 1);
      h.cancellations.pipeInput("s", Cancellation.newBuilder().build());
      SessionState cancelled = h.awaitVersion("s", 2);
      assertThat(cancelled.getLastStatus()).isEqualTo(RequestStatus.CANCELLED);

      answer(h, "c1", "sunny");
      assertThat(h.deadLetters.readValuesToList())
          .extracting(DeadLetter::getReason)
          .containsExactly("UNMATCHED_TOOL_RESULT");
      assertThat(calls).doesNotContainKey("use");
    }
  }

  @Test
  void aStepAskingAToolItsApplicationDoesNotDeclareFailsNamingIt() {
    try (Harness h = new Harness(stateDir, lookup(), Map.of())) {
      send(h, "r1", "only search");
      SessionState failed = h.awaitVersion("s", 1);

      assertThat(failed.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(failed.getLastError().getMessage())
          .isEqualTo(
              "action 'ask' asks remote tool 'search', which its application does not declare"
                  + " (remote tools: [weather, clock])");
      assertThat(failed.getFields()).doesNotContainKey("asked");
      assertThat(h.toolCalls()).isEmpty();
    }
  }
}
