package dev.runnel.action;

import dev.runnel.model.ToolSpec;
import dev.runnel.tool.ClientResult;
import dev.runnel.tool.RemoteResult;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The input of one run.
 *
 * @param sessionId the session (the record key)
 * @param requestId identifies the prompt end to end
 * @param attempt 1 for the first run of this request, higher after a retry or a restart
 * @param prompt the user's prompt; empty only when {@code toolResults} is not (a follow-up that
 *     only answers tool calls)
 * @param model the model asked for, or the configured default
 * @param attributes free-form attributes the producer set on the prompt
 * @param step the step of the application's run this run is, from 0 (always 0 for an action hosted
 *     alone); {@code attempt} counts within it
 * @param remoteResults the answers to the remote tool calls the previous step asked for, in the
 *     order it asked; empty when it asked none
 * @param clientTools the tools the prompt's sender offers the model beside the action's own; the
 *     sender runs them, so a reply that calls one ends the run and waits for the next prompt
 * @param toolResults the sender's results, carried by the prompt, for the calls of its tools that
 *     the session's last reply asked for; empty when it carries none
 */
public record ActionInput(
    String sessionId,
    String requestId,
    int attempt,
    String prompt,
    String model,
    Map<String, String> attributes,
    int step,
    List<RemoteResult> remoteResults,
    List<ToolSpec> clientTools,
    List<ClientResult> toolResults) {
  public ActionInput {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(model, "model");
    attributes = Map.copyOf(attributes);
    if (step < 0) {
      throw new IllegalArgumentException("step must not be negative, was " + step);
    }
    remoteResults = List.copyOf(remoteResults);
    clientTools = List.copyOf(clientTools);
    toolResults = List.copyOf(toolResults);
  }

  /** The input of a step whose prompt carries no tools and no tool results. */
  public ActionInput(
      String sessionId,
      String requestId,
      int attempt,
      String prompt,
      String model,
      Map<String, String> attributes,
      int step,
      List<RemoteResult> remoteResults) {
    this(
        sessionId,
        requestId,
        attempt,
        prompt,
        model,
        attributes,
        step,
        remoteResults,
        List.of(),
        List.of());
  }

  /** The input of a step that follows no remote tool calls. */
  public ActionInput(
      String sessionId,
      String requestId,
      int attempt,
      String prompt,
      String model,
      Map<String, String> attributes,
      int step) {
    this(sessionId, requestId, attempt, prompt, model, attributes, step, List.of());
  }

  /** The input of a run that is the first (or only) step of its request. */
  public ActionInput(
      String sessionId,
      String requestId,
      int attempt,
      String prompt,
      String model,
      Map<String, String> attributes) {
    this(sessionId, requestId, attempt, prompt, model, attributes, 0);
  }
}
