package dev.runnel.processor.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionState;
import dev.runnel.action.StateUpdate;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ToolCall;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.MessageToolCall;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.serde.AvroSerde;
import dev.runnel.serde.StateFields;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** The transitions of a session's state: each applied final raises the version by one. */
final class SessionStates {
  private static final AvroSerde<SessionState> STATES = AvroSerde.of(SessionState.class);
  private static final AvroSerde<Message> MESSAGES = AvroSerde.of(Message.class);

  /** Avro single-object encoding puts a 2-byte marker and an 8-byte fingerprint before a datum. */
  private static final int SINGLE_OBJECT_HEADER = 10;

  private SessionStates() {}

  static SessionState initial(String sessionId) {
    return SessionState.newBuilder()
        .setSessionId(sessionId)
        .setVersion(0)
        .setMessages(new ArrayList<>())
        .setUsage(new TokenUsage(0L, 0L, 0L))
        .setFields(new HashMap<>())
        .setJsonFields(new HashMap<>())
        .setUpdatedAt(Instant.EPOCH)
        .build();
  }

  /** The action's view of a state, limited to its declared reads. */
  static ActionState view(SessionState state, Set<String> reads) {
    List<ChatMessage> messages = new ArrayList<>(state.getMessages().size());
    for (Message message : state.getMessages()) {
      messages.add(toModel(message));
    }
    return ActionState.ofJson(
        state.getSessionId(), state.getVersion(), messages, StateFields.read(state), reads);
  }

  /** A view with every field readable, for an application's transition conditions. */
  static ActionState fullView(SessionState state) {
    Set<String> all = new HashSet<>(state.getFields().keySet());
    all.addAll(state.getJsonFields().keySet());
    all.add(ActionState.MESSAGES);
    return view(state, all);
  }

  /**
   * The state after a completed request, or a finished step of one ({@code status} {@code
   * RUNNING}): the update's messages appended, then the conversation cut to {@code maxMessages} and
   * to {@code maxBytes} encoded, oldest messages first; system messages and the messages just
   * appended are never dropped for size.
   *
   * @throws StateTooLarge when the state does not fit even so
   */
  static SessionState completed(
      SessionState previous,
      RunKey run,
      RequestStatus status,
      ActionResult result,
      StateUpdate update,
      Instant now,
      int maxMessages,
      int maxBytes) {
    List<Message> messages = new ArrayList<>(previous.getMessages());
    int appendedFrom = messages.size();
    for (ChatMessage message : update.appendedMessages()) {
      messages.add(toSchema(message, run.requestId()));
    }
    long dropped = previous.getDroppedMessages();
    if (messages.size() > maxMessages) {
      int cut = messages.size() - maxMessages;
      messages = new ArrayList<>(messages.subList(cut, messages.size()));
      dropped += cut;
      appendedFrom = Math.max(0, appendedFrom - cut);
    }
    TokenUsage totals = previous.getUsage();
    dev.runnel.model.TokenUsage used = result.usage().orElse(dev.runnel.model.TokenUsage.NONE);
    SessionState.Builder builder = next(previous, run, status, null, now);
    StateFields.write(previous, update.fields(), builder);
    SessionState next =
        builder
            .setLastResult(result.value().map(JsonNode::toString).orElse(null))
            .setMessages(messages)
            .setDroppedMessages(dropped)
            .setUsage(
                new TokenUsage(
                    totals.getPromptTokens() + used.promptTokens(),
                    totals.getCompletionTokens() + used.completionTokens(),
                    totals.getTotalTokens() + used.totalTokens()))
            .build();
    return withinBytes(next, appendedFrom, maxBytes);
  }

  /** The encoded size of a state, as the store's changelog and the sessions topic carry it. */
  static int encodedSize(SessionState state) {
    return STATES.encode(state).length;
  }

  /** Drops messages before {@code keepFrom}, oldest first and never system ones, until it fits. */
  private static SessionState withinBytes(SessionState state, int keepFrom, int maxBytes) {
    int size = encodedSize(state);
    if (size <= maxBytes) {
      return state;
    }
    List<Message> messages = state.getMessages();
    List<Message> kept = new ArrayList<>(messages.size());
    long freed = 0;
    int dropped = 0;
    for (int i = 0; i < messages.size(); i++) {
      Message message = messages.get(i);
      if (i < keepFrom && message.getRole() != Role.SYSTEM && size - freed > maxBytes) {
        freed += datumSize(message);
        dropped++;
      } else {
        kept.add(message);
      }
    }
    state.setMessages(kept);
    state.setDroppedMessages(state.getDroppedMessages() + dropped);
    size = encodedSize(state);
    if (size > maxBytes) {
      long newest = 0;
      for (Message message : messages.subList(keepFrom, messages.size())) {
        newest += datumSize(message);
      }
      throw new StateTooLarge(
          "the session state would have "
              + size
              + " bytes with only the system messages and the newest exchange ("
              + newest
              + " bytes) kept, more than runnel.session.max.bytes="
              + maxBytes);
    }
    return state;
  }

  private static int datumSize(Message message) {
    return MESSAGES.encode(message).length - SINGLE_OBJECT_HEADER;
  }

  /** Records a failure without advancing the conversation, as Burr does. */
  static SessionState failed(SessionState previous, RunKey run, ErrorInfo error, Instant now) {
    return next(previous, run, RequestStatus.FAILED, error, now).build();
  }

  static SessionState cancelled(SessionState previous, RunKey run, Instant now) {
    return next(previous, run, RequestStatus.CANCELLED, null, now).build();
  }

  private static SessionState.Builder next(
      SessionState previous, RunKey run, RequestStatus status, ErrorInfo error, Instant now) {
    return SessionState.newBuilder(previous)
        .setVersion(previous.getVersion() + 1)
        .setLastRequestId(run.requestId())
        .setLastStatus(status)
        .setLastError(error)
        .setLastResult(null)
        .setPendingApprovals(List.of())
        .setUpdatedAt(now);
  }

  private static ChatMessage toModel(Message message) {
    List<ToolCall> calls = new ArrayList<>(message.getToolCalls().size());
    for (MessageToolCall call : message.getToolCalls()) {
      calls.add(new ToolCall(call.getId(), call.getName(), call.getArguments()));
    }
    ChatMessage.Role role =
        switch (message.getRole()) {
          case SYSTEM -> ChatMessage.Role.SYSTEM;
          case ASSISTANT -> ChatMessage.Role.ASSISTANT;
          case TOOL -> ChatMessage.Role.TOOL;
          case USER, UNKNOWN -> ChatMessage.Role.USER;
        };
    String callId =
        role == ChatMessage.Role.TOOL
            ? Objects.requireNonNullElse(message.getToolCallId(), "")
            : null;
    return new ChatMessage(
        role, message.getContent(), role == ChatMessage.Role.ASSISTANT ? calls : List.of(), callId);
  }

  private static Message toSchema(ChatMessage message, String requestId) {
    List<MessageToolCall> calls = new ArrayList<>(message.toolCalls().size());
    for (ToolCall call : message.toolCalls()) {
      calls.add(new MessageToolCall(call.id(), call.name(), call.arguments()));
    }
    Role role =
        switch (message.role()) {
          case SYSTEM -> Role.SYSTEM;
          case USER -> Role.USER;
          case ASSISTANT -> Role.ASSISTANT;
          case TOOL -> Role.TOOL;
        };
    return new Message(role, message.content(), requestId, calls, message.toolCallId());
  }
}
