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
 */
public record RemoteResult(String callId, String tool, String content, Optional<String> error) {
  public RemoteResult {
    Objects.requireNonNull(callId, "callId");
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(error, "error");
  }

  /** What the model reads: the content, or {@code error: } and the error. */
  public String text() {
    return error.map(e -> "error: " + e).orElse(content);
  }
}
