package dev.runnel.chat;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StateUpdate;
import dev.runnel.action.StreamingAction;
import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolCallDelta;
import dev.runnel.model.ToolSpec;
import dev.runnel.tool.ClientResult;
import dev.runnel.tool.RemoteResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The built-in chat action: reads the conversation, streams the model's reply as partial results,
 * and its final appends the user's prompt and the full reply to the conversation (Burr's {@code
 * state.append(response=full_response)}).
 *
 * <p>It is written against the public API only, as any user's action is, and in the callback form
 * rather than the blocking one: the model client already streams on its own few threads without
 * parking one per call, so a chat run holds no thread while it waits for tokens. In the blocking
 * form each open call would hold a thread, and on JDK 17 (no virtual threads) the blocking pool
 * ({@link StreamingAction#blocking(dev.runnel.action.BlockingAction, int)}) would bound the
 * instance's open calls below {@code runnel.max.in.flight}.
 *
 * <p><b>Client tools.</b> A prompt may offer tools of its sender ({@link
 * ActionInput#clientTools()}, as the gateway passes an OpenAI request's {@code tools}): the model
 * is offered them beside the action's own. A reply that calls them ends the run with finish reason
 * {@code TOOL_CALLS}, its calls kept, unanswered, on the assistant message. The sender runs them
 * and sends their results in its next prompt ({@link ActionInput#toolResults()}), which appends
 * them as tool messages; a result for a call the conversation does not hold open, a prompt that
 * offers a tool the action has itself, and (when the prompt offers tools) a reply calling a tool
 * nobody offered fail the run, naming it.
 *
 * <p>It owns its model client: closing the action closes the client.
 */
public final class ChatAction implements StreamingAction {
  /** The chat action's name, as prompts and {@code runnel.actions} give it. */
  public static final String NAME = "chat";

  /** What the model is told of a tool call whose run ended before it was answered. */
  static final String UNANSWERED = "error: the run ended before this call was answered";

  private final ActionSpec spec;
  private final ChatModel model;
  private final String systemPrompt;
  private final int maxTokens;
  private final List<ToolSpec> tools;

  /**
   * @param systemPrompt sent before the conversation on every call; empty for none
   * @param maxTokens upper bound on a reply's tokens; 0 for the model's default
   */
  public ChatAction(ChatModel model, String systemPrompt, int maxTokens) {
    this(NAME, model, systemPrompt, maxTokens, List.of());
  }

  /**
   * A chat named {@code name} that offers {@code tools} to the model: the reply's tool calls stream
   * as tool-call fragments and stay with the assistant message it appends (the agent's model step).
   * In a later step of an application's run the prompt is already in the conversation, so only the
   * reply is appended.
   */
  public ChatAction(
      String name, ChatModel model, String systemPrompt, int maxTokens, List<ToolSpec> tools) {
    this.spec = new ActionSpec(name, Set.of(ActionState.MESSAGES), Set.of(ActionState.MESSAGES));
    this.model = Objects.requireNonNull(model, "model");
    this.systemPrompt = Objects.requireNonNull(systemPrompt, "systemPrompt");
    this.maxTokens = maxTokens;
    this.tools = List.copyOf(tools);
  }

  @Override
  public ActionSpec spec() {
    return spec;
  }

  @Override
  public void close() {
    model.close();
  }

  @Override
  public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
    List<ChatMessage> messages = new ArrayList<>();
    if (!systemPrompt.isEmpty()) {
      messages.add(ChatMessage.system(systemPrompt));
    }
    messages.addAll(state.messages());
    List<ToolSpec> offered;
    List<ChatMessage> added;
    try {
      offered = offered(input.clientTools());
      added = added(state.messages(), input);
    } catch (IllegalArgumentException e) {
      output.fail(e);
      output.end();
      return () -> {};
    }
    messages.addAll(added);
    Set<String> names = new LinkedHashSet<>();
    offered.forEach(tool -> names.add(tool.name()));
    ChatCall call =
        model.stream(
            new ChatRequest(input.model(), answered(messages), maxTokens, offered),
            new StreamListener() {
              @Override
              public void onDelta(String text) {
                output.partial(text);
              }

              @Override
              public void onToolCall(ToolCallDelta fragment) {
                output.toolCall(fragment);
              }

              @Override
              public void onComplete(ChatCompletion completion) {
                Optional<ToolCall> unknown =
                    input.clientTools().isEmpty()
                        ? Optional.empty()
                        : completion.toolCalls().stream()
                            .filter(c -> !names.contains(c.name()))
                            .findFirst();
                if (unknown.isPresent()) {
                  output.fail(
                      new IllegalStateException(
                          "the model called tool '"
                              + unknown.get().name()
                              + "', which neither the prompt nor action '"
                              + spec.name()
                              + "' offers (tools: "
                              + names
                              + ")"));
                  output.end();
                  return;
                }
                StateUpdate.Builder update = StateUpdate.builder();
                added.forEach(update::appendMessages);
                update.appendMessages(
                    ChatMessage.assistant(completion.text(), completion.toolCalls()));
                output.last(
                    ActionResult.of(completion.text())
                        .withFinishReason(completion.finishReason())
                        .withUsage(completion.usage()),
                    update.build());
                output.end();
              }

              @Override
              public void onError(ModelException error) {
                output.fail(error);
                output.end();
              }
            });
    return call::cancel;
  }

  /** The action's own tools, then the prompt's; a prompt may not offer a tool the action has. */
  private List<ToolSpec> offered(List<ToolSpec> clientTools) {
    List<ToolSpec> offered = new ArrayList<>(tools);
    for (ToolSpec tool : clientTools) {
      if (tools.stream().anyMatch(own -> own.name().equals(tool.name()))) {
        throw new IllegalArgumentException(
            "the prompt offers tool '"
                + tool.name()
                + "', which action '"
                + spec.name()
                + "' has itself; name it otherwise");
      }
      offered.add(tool);
    }
    return offered;
  }

  /**
   * What this call adds to the conversation. On a run's first step: the prompt's tool results (each
   * must answer a call the conversation holds open), then its text when it has one. On a later
   * step: the answers of the remote tools the previous step asked.
   */
  private static List<ChatMessage> added(List<ChatMessage> stored, ActionInput input) {
    List<ChatMessage> added = new ArrayList<>();
    if (input.step() == 0) {
      Set<String> open = openCalls(stored);
      for (ClientResult result : input.toolResults()) {
        if (!open.remove(result.callId())) {
          throw new IllegalArgumentException(
              "the prompt answers tool call '"
                  + result.callId()
                  + "', which the conversation does not hold open (open calls: "
                  + openCalls(stored)
                  + ")");
        }
        added.add(ChatMessage.toolResult(result.callId(), result.content()));
      }
      if (!input.prompt().isBlank() || input.toolResults().isEmpty()) {
        added.add(ChatMessage.user(input.prompt()));
      }
    }
    for (RemoteResult result : input.remoteResults()) {
      added.add(ChatMessage.toolResult(result.callId(), result.text()));
    }
    return added;
  }

  /**
   * The calls of the conversation's last message with tool calls that no tool message after it
   * answers, when nothing but tool messages follows it; none otherwise (once the conversation went
   * on, a call left open is answered as {@link #UNANSWERED}).
   */
  static Set<String> openCalls(List<ChatMessage> messages) {
    Set<String> open = new LinkedHashSet<>();
    for (int i = messages.size() - 1; i >= 0; i--) {
      ChatMessage message = messages.get(i);
      if (message.role() == ChatMessage.Role.TOOL) {
        continue;
      }
      message.toolCalls().forEach(call -> open.add(call.id()));
      for (ChatMessage later : messages.subList(i + 1, messages.size())) {
        open.remove(later.toolCallId());
      }
      break;
    }
    return open;
  }

  /**
   * The conversation with every tool call answered, as the providers require: a call left without a
   * result (its run failed or was cancelled while its tools ran) gets one saying so, right after
   * the results that did arrive. The stored conversation is left as it is.
   */
  static List<ChatMessage> answered(List<ChatMessage> messages) {
    List<ChatMessage> out = new ArrayList<>(messages.size());
    Set<String> open = new LinkedHashSet<>();
    for (ChatMessage message : messages) {
      if (message.role() == ChatMessage.Role.TOOL) {
        open.remove(message.toolCallId());
      } else {
        closeOpen(open, out);
      }
      out.add(message);
      for (ToolCall call : message.toolCalls()) {
        open.add(call.id());
      }
    }
    closeOpen(open, out);
    return out;
  }

  private static void closeOpen(Set<String> open, List<ChatMessage> out) {
    for (String id : open) {
      out.add(ChatMessage.toolResult(id, UNANSWERED));
    }
    open.clear();
  }
}
