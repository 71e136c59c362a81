package dev.runnel.processor.internal;

import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;

/** Builds chunk records. */
final class Chunks {
  private Chunks() {}

  static Chunk delta(RunKey run, int sequence, String text) {
    return Chunk.newBuilder()
        .setSessionId(run.sessionId())
        .setRequestId(run.requestId())
        .setAttempt(run.attempt())
        .setSequence(sequence)
        .setDelta(text)
        .build();
  }

  /** The end record of an attempt; it follows the attempt's {@code deltas} deltas. */
  static Chunk end(
      RunKey run,
      int deltas,
      FinishReason reason,
      TokenUsage usage,
      ErrorInfo error,
      Integer textLength) {
    return Chunk.newBuilder()
        .setSessionId(run.sessionId())
        .setRequestId(run.requestId())
        .setAttempt(run.attempt())
        .setSequence(deltas)
        .setEnd(true)
        .setFinishReason(reason)
        .setUsage(usage)
        .setError(error)
        .setTextLength(textLength)
        .build();
  }
}
