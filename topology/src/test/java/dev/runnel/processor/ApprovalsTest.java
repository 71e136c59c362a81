package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.agent.Agent;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ToolSpec;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Decision;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.PendingApproval;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolResult;
import dev.runnel.tool.Tool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Human in the loop: the agent's model asks for {@code deploy}, which needs approval, and {@code
 * clock}, which does not. The tools step answers clock and the run waits, the call pending in the
 * state and on the chunks topic; an approval runs deploy and the model goes on with its result, a
 * rejection does not run it and the model reads the person's instruction instead.
 */
@Timeout(60)
class ApprovalsTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final ObjectNode OBJECT =
      JsonNodeFactory.instance.objectNode().put("type", "object");

  @TempDir Path stateDir;

  /** The arguments deploy ran with, in order. */
  private final List<String> deployed = new CopyOnWriteArrayList<>();

  private final ScriptedModel model =
      ScriptedModel.manual()
          .thenCall(
              call ->
                  call.toolCall(0, "call_d", "deploy", "{\"env\":\"prod\"}")
                      .toolCall(1, "call_c", "clock", "{}")
                      .complete())
          .thenCall(call -> call.delta("done").complete());

  private Agent.Builder agent() {
    return Agent.builder("ops", model)
        .tool(Tool.of(new ToolSpec("clock", "The time", OBJECT), arguments -> "noon"))
        .toolWithApproval(
            Tool.of(
                new ToolSpec("deploy", "Deploys", OBJECT),
                arguments -> {
                  deployed.add(arguments.toString());
                  return "deployed to " + arguments.path("env").asText();
                }),
            TIMEOUT);
  }

  private static void decide(Harness h, String callId, Decision decision, String message) {
    h.toolResults()
        .pipeInput(
            "s",
            ToolResult.newBuilder()
                .setCallId(callId)
                .setDecision(decision)
                .setContent(message)
                .build());
  }

  /** Sends the prompt and waits for the tools step that leaves deploy pending. */
  private static SessionState awaitPending(Harness h) {
    h.send("s", "r1", "ship it");
    SessionState pending = h.awaitVersion("s", 2);
    assertThat(pending.getLastStatus()).isEqualTo(RequestStatus.RUNNING);
    assertThat(pending.getPendingApprovals())
        .extracting(
            PendingApproval::getRequestId,
            PendingApproval::getCallId,
            PendingApproval::getTool,
            PendingApproval::getArguments)
        .containsExactly(tuple("r1", "call_d", "deploy", "{\"env\":\"prod\"}"));
    assertThat(pending.getMessages())
        .extracting(Message::getRole, Message::getToolCallId, Message::getContent)
        .containsExactly(
            tuple(Role.USER, null, "ship it"),
            tuple(Role.ASSISTANT, null, ""),
            tuple(Role.TOOL, "call_c", "noon"));
    return pending;
  }

  private static String lastToolMessage(ScriptedModel model) {
    List<ChatMessage> sent = model.lastCall().request().messages();
    return sent.stream()
        .filter(m -> m.role() == ChatMessage.Role.TOOL && m.toolCallId().equals("call_d"))
        .map(ChatMessage::content)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void anApprovedCallRunsTheToolAndTheModelGoesOnWithItsResult() {
    try (Harness h = new Harness(stateDir, agent().build(), Map.of())) {
      awaitPending(h);
      assertThat(deployed).isEmpty();
      assertThat(model.calls()).hasSize(1);
      assertThat(h.toolCalls()).as("approvals are not asked of tool services").isEmpty();
      List<Chunk> chunks = h.allChunks();
      assertThat(chunks.stream().map(Chunk::getToolResult).filter(Objects::nonNull))
          .extracting(r -> r.getCallId(), r -> r.getContent())
          .containsExactly(tuple("call_c", "noon"));
      assertThat(chunks.stream().map(Chunk::getApproval).filter(Objects::nonNull))
          .singleElement()
          .satisfies(a -> assertThat(a.getCallId()).isEqualTo("call_d"));

      decide(h, "call_d", Decision.APPROVED, "");
      SessionState done = h.awaitVersion("s", 4);

      assertThat(done.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(deployed).containsExactly("{\"env\":\"prod\"}");
      assertThat(h.states("s").get(2).getPendingApprovals()).isEmpty();
      assertThat(done.getMessages())
          .extracting(Message::getRole, Message::getToolCallId, Message::getContent)
          .containsExactly(
              tuple(Role.USER, null, "ship it"),
              tuple(Role.ASSISTANT, null, ""),
              tuple(Role.TOOL, "call_c", "noon"),
              tuple(Role.TOOL, "call_d", "deployed to prod"),
              tuple(Role.ASSISTANT, null, "done"));
      assertThat(model.calls()).hasSize(2);
      assertThat(lastToolMessage(model)).isEqualTo("deployed to prod");
      assertThat(h.endChunks())
          .singleElement()
          .satisfies(e -> assertThat(e.getStep()).isEqualTo(3));
    }
  }

  @Test
  void aRejectedCallDoesNotRunAndTheModelReadsThePersonsInstruction() {
    try (Harness h = new Harness(stateDir, agent().build(), Map.of())) {
      awaitPending(h);
      decide(h, "call_d", Decision.REJECTED, "deploy to staging first");
      SessionState done = h.awaitVersion("s", 4);

      assertThat(done.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(deployed).isEmpty();
      String rejected =
          "error: the call was rejected, with this instruction: deploy to staging first";
      assertThat(done.getMessages().get(3).getContent()).isEqualTo(rejected);
      assertThat(lastToolMessage(model)).isEqualTo(rejected);
      assertThat(done.getMessages().get(4).getContent()).isEqualTo("done");
    }
  }

  @Test
  void aResultWithoutADecisionIsADeadLetterAndTheCallStaysPending() {
    try (Harness h = new Harness(stateDir, agent().build(), Map.of())) {
      awaitPending(h);
      h.rawToolResults()
          .pipeInput(
              "s".getBytes(StandardCharsets.UTF_8),
              "{\"callId\":\"call_d\",\"content\":\"ok\"}".getBytes(StandardCharsets.UTF_8));

      assertThat(h.deadLetters.readValuesToList())
          .singleElement()
          .satisfies(
              letter -> {
                assertThat(letter.getReason()).isEqualTo("INVALID_TOOL_RESULT");
                assertThat(letter.getMessage())
                    .contains("call 'call_d'")
                    .contains("needs a decision (APPROVED or REJECTED)");
              });
      h.pump();
      assertThat(deployed).isEmpty();
      // The JSON form of a decision.
      h.rawToolResults()
          .pipeInput(
              "s".getBytes(StandardCharsets.UTF_8),
              "{\"callId\":\"call_d\",\"decision\":\"APPROVED\"}".getBytes(StandardCharsets.UTF_8));
      assertThat(h.awaitVersion("s", 4).getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(deployed).hasSize(1);
    }
  }

  @Test
  void aPendingApprovalSurvivesARestartAndIsDecidedOnTheNextOwner() {
    Map<String, List<KeyValue<byte[], byte[]>>> changelogs;
    try (Harness h = new Harness(stateDir, agent().build(), Map.of())) {
      awaitPending(h);
      changelogs = h.changelogs();
    }
    try (Harness h = new Harness(stateDir, agent().build(), Map.of())) {
      h.restore(changelogs);
      h.pump();
      decide(h, "call_d", Decision.APPROVED, "");
      SessionState done = h.awaitVersion("s", 4);

      assertThat(done.getLastStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(deployed).containsExactly("{\"env\":\"prod\"}");
      assertThat(model.calls()).as("the first model call is not asked again").hasSize(2);
    }
  }

  @Test
  void anUndecidedCallFailsTheRunAtItsDeadlineSayingNobodyDecided() {
    try (Harness h =
        new Harness(
            stateDir,
            Agent.builder("ops", model)
                .toolWithApproval(
                    Tool.of(new ToolSpec("deploy", "Deploys", OBJECT), arguments -> "deployed"),
                    Duration.ofSeconds(5))
                .tool(Tool.of(new ToolSpec("clock", "The time", OBJECT), arguments -> "noon"))
                .build(),
            Map.of())) {
      awaitPending(h);
      h.driver.advanceWallClockTime(Duration.ofSeconds(7));
      SessionState failed = h.awaitVersion("s", 3);

      assertThat(failed.getLastStatus()).isEqualTo(RequestStatus.FAILED);
      assertThat(failed.getLastError().getKind()).isEqualTo("TOOL_TIMEOUT");
      assertThat(failed.getLastError().getMessage())
          .startsWith("call 'call_d' of tool 'deploy' was neither approved nor rejected");
      assertThat(failed.getPendingApprovals()).isEmpty();
    }
  }
}
