package dev.runnel.action;

import dev.runnel.tool.RemoteCall;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The last yield of a run: its result and its state update, and the remote tool calls the run's
 * next step waits for (none unless set).
 */
public record Final(ActionResult result, StateUpdate update, List<RemoteCall> remoteCalls)
    implements Yield {
  public Final {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(update, "update");
    remoteCalls = List.copyOf(remoteCalls);
    Set<String> ids = new HashSet<>();
    for (RemoteCall call : remoteCalls) {
      if (!ids.add(call.callId())) {
        throw new IllegalArgumentException("two remote calls have the id " + call.callId());
      }
    }
  }

  /** A final that asks no remote tool. */
  public Final(ActionResult result, StateUpdate update) {
    this(result, update, List.of());
  }

  /** A final whose text is the concatenation of the partial results. */
  public static Final of(StateUpdate update) {
    return new Final(ActionResult.ofPartials(), update);
  }

  /**
   * This final, asking remote tools for {@code calls}: Runnel publishes them to the tool-calls
   * topic with the step's update, and the next step starts with their answers in {@link
   * ActionInput#remoteResults()}. Only a step that an application follows with another step may
   * ask, for tools the application declares ({@link
   * dev.runnel.application.Application.Builder#remoteTool}).
   */
  public Final withRemoteCalls(List<RemoteCall> calls) {
    return new Final(result, update, calls);
  }
}
