package dev.runnel.tool;

import java.util.Objects;
import java.util.Optional;

/**
 * A tool service's answer to a {@link RemoteCall}, as the step after the call finds it in {@link
 * dev.runnel.action.ActionInput#remoteResults()}.
 *
 * @param callId the call it answers
 * @param tool the tool that was called
 * @param content the result the model reads next (empty when the tool failed)
 * @param error what went wrong, when the tool failed
 * @param decision a person's decision, on the answer to a call that needs approval; then {@code
 *     content} is what the person said with it (empty when nothing)
 */
public record RemoteResult(
    String callId,
    String tool,
    String content,
    Optional<String> error,
    Optional<Decision> decision) {
  /** A tool service's answer. */
  public RemoteResult(String callId, String tool, String content, Optional<String> error) {
    this(callId, tool, content, error, Optional.empty());
  }

  public RemoteResult {
    Objects.requireNonNull(callId, "callId");
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(decision, "decision");
  }

  /**
   * What the model reads: the content, or {@code error: } and the error; for a rejected call, that
   * it was rejected and what the person said.
   */
  public String text() {
    if (decision.equals(Optional.of(Decision.REJECTED))) {
      return "error: the call was rejected"
          + (content.isEmpty() ? "" : ", with this instruction: " + content);
    }
    return error.map(e -> "error: " + e).orElse(content);
  }
}
