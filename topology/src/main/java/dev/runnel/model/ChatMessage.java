package dev.runnel.model;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation. An assistant message may carry the tool calls the model asked for
 * (its text may then be empty); a {@link Role#TOOL} message is a tool's result, naming the call it
 * answers. The model clients write both in their provider's form: OpenAI's {@code tool_calls} and
 * {@code role: tool}, Anthropic's {@code tool_use} and {@code tool_result} blocks.
 *
 * @param role who wrote it
 * @param content its text (a tool's result, for a tool message)
 * @param toolCalls the tool calls of an assistant message, in order; empty otherwise
 * @param toolCallId the id of the call a tool message answers; null for other roles
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId) {

  /** Who wrote a message. */
  public enum Role {
    SYSTEM,
    USER,
    ASSISTANT,
    /** A tool's result, answering one of the previous assistant message's tool calls. */
    TOOL
  }

  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    toolCalls = List.copyOf(toolCalls);
    if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
      throw new IllegalArgumentException("only an assistant message carries tool calls");
    }
    if ((role == Role.TOOL) != (toolCallId != null)) {
      throw new IllegalArgumentException(
          "a tool message, and only a tool message, names the call it answers (toolCallId)");
    }
  }

  /** A message of text alone. */
  public ChatMessage(Role role, String content) {
    this(role, content, List.of(), null);
  }

  public static ChatMessage system(String content) {
    return new ChatMessage(Role.SYSTEM, content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage(Role.USER, content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage(Role.ASSISTANT, content);
  }

  /** The model's reply that asks for tools: its text (often empty) and its calls. */
  public static ChatMessage assistant(String content, List<ToolCall> toolCalls) {
    return new ChatMessage(Role.ASSISTANT, content, toolCalls, null);
  }

  /** A tool's result for the call with id {@code toolCallId}. */
  public static ChatMessage toolResult(String toolCallId, String content) {
    return new ChatMessage(Role.TOOL, content, List.of(), Objects.requireNonNull(toolCallId));
  }
}
