package dev.runnel.tool;

import java.util.Objects;

/**
 * A result that a prompt's sender gives for a call of one of its own tools (a client tool), as the
 * run finds it in {@link dev.runnel.action.ActionInput#toolResults()}.
 *
 * @param callId the call it answers, one the session's last reply asked for
 * @param content the result the model reads, as text
 */
public record ClientResult(String callId, String content) {
  public ClientResult {
    Objects.requireNonNull(callId, "callId");
    Objects.requireNonNull(content, "content");
  }
}
