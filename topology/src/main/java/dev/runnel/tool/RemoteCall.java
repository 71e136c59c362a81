package dev.runnel.tool;

import java.time.Duration;
import java.util.Objects;

/**
 * A call a step asks a remote tool to answer: Runnel publishes it to the tool-calls topic (keyed by
 * session) in the transaction that applies the step, and the run's next step starts once a tool
 * service has answered it on the tool-results topic, holding no thread meanwhile.
 *
 * @param callId unique within the session (the model's id for the call); the answer names it
 * @param tool the tool's name, one the application declares as remote
 * @param arguments the call's arguments, a JSON object as the model wrote it
 *     <p>A call that {@linkplain #needsApproval() needs approval} is not published to a tool
 *     service: the run shows it as pending (in the session state and on the chunks topic) and waits
 *     for a person's {@link Decision} on the tool-results topic instead.
 * @param timeout how long the run waits for the answer before it fails with {@code TOOL_TIMEOUT}
 * @param needsApproval a person decides on the call, and the step after runs the tool if approved
 */
public record RemoteCall(
    String callId, String tool, String arguments, Duration timeout, boolean needsApproval) {
  /** A call a tool service answers. */
  public RemoteCall(String callId, String tool, String arguments, Duration timeout) {
    this(callId, tool, arguments, timeout, false);
  }

  /** A call a person approves or rejects before the tool runs. */
  public static RemoteCall forApproval(
      String callId, String tool, String arguments, Duration timeout) {
    return new RemoteCall(callId, tool, arguments, timeout, true);
  }

  public RemoteCall {
    Objects.requireNonNull(callId, "callId");
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(arguments, "arguments");
    Objects.requireNonNull(timeout, "timeout");
    if (callId.isBlank()) {
      throw new IllegalArgumentException("a remote call needs a callId");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "the timeout of remote call " + callId + " must be positive, was " + timeout);
    }
  }
}
