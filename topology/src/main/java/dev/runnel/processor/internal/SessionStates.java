package dev.runnel.processor.internal;

import dev.runnel.action.ActionResult;
import dev.runnel.action.ActionState;
import dev.runnel.action.StateUpdate;
import dev.runnel.model.ChatMessage;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.TokenUsage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The transitions of a session's state: each applied final raises the version by one. */
final class SessionStates {
  private SessionStates() {}

  static SessionState initial(String sessionId) {
    return SessionState.newBuilder()
        .setSessionId(sessionId)
        .setVersion(0)
        .setMessages(new ArrayList<>())
        .setUsage(new TokenUsage(0L, 0L, 0L))
        .setFields(new HashMap<>())
        .setUpdatedAt(Instant.EPOCH)
        .build();
  }

  /** The action's view of a state, limited to its declared reads. */
  static ActionState view(SessionState state, Set<String> reads) {
    List<ChatMessage> messages = new ArrayList<>(state.getMessages().size());
    for (Message message : state.getMessages()) {
      messages.add(new ChatMessage(toModel(message.getRole()), message.getContent()));
    }
    return new ActionState(
        state.getSessionId(), state.getVersion(), messages, state.getFields(), reads);
  }

  static SessionState completed(
      SessionState previous,
      RunKey run,
      ActionResult result,
      StateUpdate update,
      Instant now,
      int maxMessages) {
    List<Message> messages = new ArrayList<>(previous.getMessages());
    for (ChatMessage message : update.appendedMessages()) {
      messages.add(new Message(toSchema(message.role()), message.content(), run.requestId()));
    }
    if (messages.size() > maxMessages) {
      messages = new ArrayList<>(messages.subList(messages.size() - maxMessages, messages.size()));
    }
    Map<String, String> fields = new HashMap<>(previous.getFields());
    fields.putAll(update.fields());
    TokenUsage totals = previous.getUsage();
    return next(previous, run, RequestStatus.COMPLETED, null, now)
        .setMessages(messages)
        .setFields(fields)
        .setUsage(
            new TokenUsage(
                totals.getPromptTokens() + result.usage().promptTokens(),
                totals.getCompletionTokens() + result.usage().completionTokens(),
                totals.getTotalTokens() + result.usage().totalTokens()))
        .build();
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
        .setUpdatedAt(now);
  }

  private static ChatMessage.Role toModel(Role role) {
    return switch (role) {
      case SYSTEM -> ChatMessage.Role.SYSTEM;
      case ASSISTANT -> ChatMessage.Role.ASSISTANT;
      case USER, UNKNOWN -> ChatMessage.Role.USER;
    };
  }

  private static Role toSchema(ChatMessage.Role role) {
    return switch (role) {
      case SYSTEM -> Role.SYSTEM;
      case USER -> Role.USER;
      case ASSISTANT -> Role.ASSISTANT;
    };
  }
}
