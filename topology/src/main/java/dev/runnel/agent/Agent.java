package dev.runnel.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.BlockingAction;
import dev.runnel.action.Final;
import dev.runnel.action.Partials;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.chat.ChatAction;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolSpec;
import dev.runnel.tool.Decision;
import dev.runnel.tool.RemoteCall;
import dev.runnel.tool.RemoteResult;
import dev.runnel.tool.Tool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The agent loop as an application: the model step (a {@link ChatAction} that offers the tools)
 * calls the model with the conversation and the tools; when the model asks for tools, the tools
 * step runs them and the model step goes on with their results, until the model answers without
 * asking for a tool. Every step is a step of the application (streamed, applied exactly once,
 * journaled): a model call or a tool round that finished is not run again after a crash.
 *
 * <p>The conversation keeps what the providers need to go on: the user's prompt, each assistant
 * message with its tool calls, and each tool's result as a tool message naming its call; the model
 * clients write them in their provider's form. A tool that throws, a call to a tool the agent does
 * not have, and arguments that are not a JSON object are answered to the model as the call's result
 * ("error: ..."), so that it can recover; the run goes on.
 *
 * <p>A remote tool ({@link Builder#remoteTool}) is answered by a service over Kafka: the tools step
 * publishes its calls to the tool-calls topic with the step's update, the run waits, holding no
 * thread, and the tools step goes on once every call has its answer on the tool-results topic.
 *
 * <p>A tool that needs approval ({@link Builder#toolWithApproval}) runs only once a person approved
 * the call: the tools step answers the other calls and the run waits, showing the call as pending
 * in the session state and on the chunks topic, for a {@code ToolResult} with a decision. The next
 * tools step runs the approved call, or answers a rejected one with the person's instruction, and
 * the model goes on.
 */
public final class Agent {
  /** The model step's action name. */
  public static final String MODEL = "model";

  /** The tools step's action name. */
  public static final String TOOLS = "tools";

  private static final Set<String> CONVERSATION = Set.of(ActionState.MESSAGES);
  private static final ObjectMapper JSON = new ObjectMapper();

  private Agent() {}

  /** An agent that prompts name by {@code name}, asking {@code model}, which it owns. */
  public static Builder builder(String name, ChatModel model) {
    return new Builder(name, model);
  }

  /** Builds the agent's {@link Application}. */
  public static final class Builder {
    private final String name;
    private final ChatModel model;
    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final Map<String, Duration> remoteTools = new LinkedHashMap<>();
    private final Map<String, Duration> approvals = new LinkedHashMap<>();
    private final List<ToolSpec> specs = new ArrayList<>();
    private String systemPrompt = "";
    private int maxTokens;
    private int maxSteps = Application.DEFAULT_MAX_STEPS;

    private Builder(String name, ChatModel model) {
      this.name = Objects.requireNonNull(name, "name");
      this.model = Objects.requireNonNull(model, "model");
    }

    /** Sent before the conversation on every model call; none unless set. */
    public Builder systemPrompt(String systemPrompt) {
      this.systemPrompt = Objects.requireNonNull(systemPrompt, "systemPrompt");
      return this;
    }

    /** Upper bound on each reply's tokens; 0 (the default) for the model's. */
    public Builder maxTokens(int maxTokens) {
      if (maxTokens < 0) {
        throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
      }
      this.maxTokens = maxTokens;
      return this;
    }

    /** Offers a tool to the model. */
    public Builder tool(Tool tool) {
      Objects.requireNonNull(tool, "tool");
      offer(tool.spec());
      tools.put(tool.spec().name(), tool);
      return this;
    }

    /**
     * Offers a tool that a service answers over Kafka: each call goes to {@code
     * runnel.topic.tool.calls} as a {@code ToolInvocation}, and the run fails with {@code
     * TOOL_TIMEOUT} unless a {@code ToolResult} naming it arrives on {@code
     * runnel.topic.tool.results} within {@code timeout}.
     */
    public Builder remoteTool(ToolSpec spec, Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(
            "the timeout of remote tool '" + spec.name() + "' must be positive, was " + timeout);
      }
      offer(spec);
      remoteTools.put(spec.name(), timeout);
      return this;
    }

    /**
     * Offers an in-process tool that runs only once a person approved the call, by a {@code
     * ToolResult} naming the call with {@code decision} {@code APPROVED} on {@code
     * runnel.topic.tool.results} (or the gateway's approval endpoint); the run fails with {@code
     * TOOL_TIMEOUT} unless the decision arrives within {@code timeout}.
     */
    public Builder toolWithApproval(Tool tool, Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(
            "the approval timeout of tool '"
                + tool.spec().name()
                + "' must be positive, was "
                + timeout);
      }
      tool(tool);
      approvals.put(tool.spec().name(), timeout);
      return this;
    }

    private void offer(ToolSpec spec) {
      Objects.requireNonNull(spec, "spec");
      if (tools.containsKey(spec.name()) || remoteTools.containsKey(spec.name())) {
        throw new IllegalArgumentException(
            "agent '" + name + "' already has a tool named '" + spec.name() + "'");
      }
      specs.add(spec);
    }

    /**
     * The most steps of one run (model calls and tool rounds together), {@value
     * Application#DEFAULT_MAX_STEPS} unless set; a run that would take more fails with {@code
     * STEP_LIMIT}.
     */
    public Builder maxSteps(int maxSteps) {
      this.maxSteps = maxSteps;
      return this;
    }

    public Application build() {
      Application.Builder application =
          Application.builder(name)
              .action(
                  new OwnToolsOnly(
                      name, new ChatAction(MODEL, model, systemPrompt, maxTokens, specs)))
              .action(
                  StreamingAction.blocking(
                      new ToolsStep(
                          Map.copyOf(tools), Map.copyOf(remoteTools), Map.copyOf(approvals))));
      remoteTools.keySet().forEach(application::remoteTool);
      approvals.keySet().forEach(application::remoteTool);
      return application
          .entry(MODEL)
          .transition(MODEL, TOOLS, state -> !lastToolCalls(state).isEmpty())
          .transition(TOOLS, TOOLS, state -> !unanswered(state.messages()).isEmpty())
          .transition(TOOLS, MODEL)
          .halt(MODEL)
          .maxSteps(maxSteps)
          .build();
    }
  }

  /**
   * The model step, refusing prompts that offer tools of their sender: the tools step would answer
   * their calls as calls of tools the agent does not have, rather than end the run for the sender.
   */
  private record OwnToolsOnly(String agent, ChatAction chat) implements StreamingAction {
    @Override
    public ActionSpec spec() {
      return chat.spec();
    }

    @Override
    public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
      if (input.clientTools().isEmpty() && input.toolResults().isEmpty()) {
        return chat.start(state, input, output);
      }
      output.fail(
          new IllegalArgumentException(
              "agent '"
                  + agent
                  + "' runs its own tools only; a prompt may not offer tools or tool results"));
      output.end();
      return () -> {};
    }

    @Override
    public void close() {
      chat.close();
    }
  }

  /** The tool calls of the conversation's last message, if it is an assistant's. */
  private static List<ToolCall> lastToolCalls(ActionState state) {
    List<ChatMessage> messages = state.messages();
    return messages.isEmpty() ? List.of() : messages.get(messages.size() - 1).toolCalls();
  }

  /**
   * The calls of the conversation's last assistant message that no tool message after it answers:
   * those the tools step asked remotely or for approval, while the run waits.
   */
  private static List<ToolCall> unanswered(List<ChatMessage> messages) {
    int last = messages.size() - 1;
    while (last >= 0 && messages.get(last).role() != ChatMessage.Role.ASSISTANT) {
      last--;
    }
    if (last < 0) {
      return List.of();
    }
    Set<String> answered = new HashSet<>();
    for (ChatMessage message : messages.subList(last + 1, messages.size())) {
      answered.add(message.toolCallId());
    }
    return messages.get(last).toolCalls().stream()
        .filter(call -> !answered.contains(call.id()))
        .toList();
  }

  /**
   * Answers the calls of the last assistant message that have no answer yet, in order: runs the
   * in-process tools, asks the remote ones and those that need approval as remote calls, and, in
   * the step after such calls, adds their answers and runs the approved calls.
   */
  private record ToolsStep(
      Map<String, Tool> tools, Map<String, Duration> remoteTools, Map<String, Duration> approvals)
      implements BlockingAction {
    private static final ActionSpec SPEC = new ActionSpec(TOOLS, CONVERSATION, CONVERSATION);

    @Override
    public ActionSpec spec() {
      return SPEC;
    }

    @Override
    public Final run(ActionState state, ActionInput input, Partials partials)
        throws InterruptedException {
      List<ToolCall> calls = unanswered(state.messages());
      if (calls.isEmpty()) {
        throw new IllegalStateException(
            "the tools step runs after a model reply that asks for tools; the conversation's last"
                + " assistant message has no call left to answer");
      }
      Map<String, RemoteResult> answers = new HashMap<>();
      input.remoteResults().forEach(result -> answers.put(result.callId(), result));
      StateUpdate.Builder update = StateUpdate.builder();
      List<RemoteCall> remote = new ArrayList<>();
      for (ToolCall call : calls) {
        if (Thread.interrupted()) {
          throw new InterruptedException("the run was cancelled");
        }
        RemoteResult answer = answers.get(call.id());
        Duration remoteTimeout = remoteTools.get(call.name());
        Duration approvalTimeout = approvals.get(call.name());
        if (answer != null) {
          update.appendMessages(
              ChatMessage.toolResult(
                  call.id(),
                  answer.decision().equals(Optional.of(Decision.APPROVED))
                      ? answer(call)
                      : answer.text()));
        } else if (remoteTimeout != null) {
          remote.add(new RemoteCall(call.id(), call.name(), call.arguments(), remoteTimeout));
        } else if (approvalTimeout != null) {
          remote.add(
              RemoteCall.forApproval(call.id(), call.name(), call.arguments(), approvalTimeout));
        } else {
          update.appendMessages(ChatMessage.toolResult(call.id(), answer(call)));
        }
      }
      return new Final(ActionResult.ofPartials(), update.build()).withRemoteCalls(remote);
    }

    private String answer(ToolCall call) throws InterruptedException {
      Tool tool = tools.get(call.name());
      if (tool == null) {
        return "error: there is no tool named '"
            + call.name()
            + "' (tools: "
            + Stream.concat(tools.keySet().stream(), remoteTools.keySet().stream())
                .sorted()
                .toList()
            + ")";
      }
      JsonNode arguments;
      try {
        arguments = JSON.readTree(call.arguments().isBlank() ? "{}" : call.arguments());
      } catch (JsonProcessingException e) {
        arguments = null;
      }
      if (arguments == null || !arguments.isObject()) {
        return "error: the arguments of " + call.name() + " are not a JSON object";
      }
      try {
        return tool.call(arguments);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        return "error: " + call.name() + " failed: " + e.getMessage();
      }
    }
  }
}
