package dev.runnel.processor.internal;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.PendingApproval;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.schemas.ToolCallFragment;
import dev.runnel.schemas.ToolOutput;
import dev.runnel.schemas.internal.RequestOutcome;

/** Builds chunk records. */
final class Chunks {
  private Chunks() {}

  static Chunk delta(RunKey run, int sequence, String text) {
    return ofRun(run, sequence).setDelta(text).build();
  }

  /** A record carrying a fragment of a tool call, with empty text. */
  static Chunk toolCall(RunKey run, int sequence, ToolCallFragment fragment) {
    return ofRun(run, sequence).setToolCall(fragment).build();
  }

  /** A record carrying a tool result the step added to the conversation, with empty text. */
  static Chunk toolResult(RunKey run, int sequence, String callId, String content) {
    return ofRun(run, sequence).setToolResult(new ToolOutput(callId, content)).build();
  }

  /** A record telling that the run waits for a decision on a call, with empty text. */
  static Chunk approval(RunKey run, int sequence, PendingApproval approval) {
    return ofRun(run, sequence).setApproval(approval).build();
  }

  private static Chunk.Builder ofRun(RunKey run, int sequence) {
    return Chunk.newBuilder()
        .setSessionId(run.sessionId())
        .setRequestId(run.requestId())
        .setAttempt(run.attempt())
        .setCallId(run.callId())
        .setStep(run.step())
        .setAction(run.action())
        .setSequence(sequence);
  }

  /**
   * The end record of an attempt; it follows the call's {@code deltas} deltas and names the call,
   * so a consumer rebuilds the text from exactly that call's deltas.
   */
  static Chunk end(
      RunKey run,
      int deltas,
      FinishReason reason,
      TokenUsage usage,
      ErrorInfo error,
      Integer textLength,
      long sessionVersion) {
    return ofRun(run, deltas)
        .setEnd(true)
        .setFinishReason(reason)
        .setUsage(usage)
        .setError(error)
        .setTextLength(textLength)
        .setSessionVersion(sessionVersion)
        .build();
  }

  /**
   * The answer to a prompt repeating a finished request's id: an end record that repeats the
   * original outcome, marked {@code duplicate}. It names the original call, so a consumer that
   * holds that call's deltas rebuilds the same text.
   */
  static Chunk duplicate(String sessionId, RequestOutcome outcome) {
    ErrorInfo error =
        outcome.getErrorKind() == null
            ? null
            : new ErrorInfo(
                outcome.getErrorKind(),
                "request "
                    + outcome.getRequestId()
                    + " already failed; its dead letter and session state hold the error",
                false);
    return Chunk.newBuilder()
        .setSessionId(sessionId)
        .setRequestId(outcome.getRequestId())
        .setAttempt(outcome.getAttempt())
        .setCallId(outcome.getCallId())
        .setSequence(outcome.getSequence())
        .setEnd(true)
        .setDuplicate(true)
        .setFinishReason(outcome.getFinishReason())
        .setError(error)
        .setTextLength(outcome.getTextLength())
        .setSessionVersion(outcome.getSessionVersion())
        .build();
  }
}
