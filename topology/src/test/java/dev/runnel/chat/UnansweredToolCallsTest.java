package dev.runnel.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.model.ChatMessage;
import dev.runnel.model.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A run that ended before its tool calls were answered (it failed or was cancelled while a remote
 * tool had not answered) leaves them unanswered in the stored conversation; the providers refuse
 * such a conversation, so the chat action answers each of them when it sends it.
 */
class UnansweredToolCallsTest {
  private static final ToolCall A = new ToolCall("a", "clock", "{}");
  private static final ToolCall B = new ToolCall("b", "lookup", "{}");

  @Test
  void aCallLeftWithoutAResultIsAnsweredAfterTheResultsThatArrived() {
    List<ChatMessage> stored =
        List.of(
            ChatMessage.user("first"),
            ChatMessage.assistant("", List.of(A, B)),
            ChatMessage.toolResult("a", "noon"),
            ChatMessage.user("second"));

    assertThat(ChatAction.answered(stored))
        .containsExactly(
            ChatMessage.user("first"),
            ChatMessage.assistant("", List.of(A, B)),
            ChatMessage.toolResult("a", "noon"),
            ChatMessage.toolResult("b", ChatAction.UNANSWERED),
            ChatMessage.user("second"));
  }

  @Test
  void aConversationWhoseCallsAreAllAnsweredIsSentAsItIs() {
    List<ChatMessage> stored =
        List.of(
            ChatMessage.user("first"),
            ChatMessage.assistant("", List.of(A)),
            ChatMessage.toolResult("a", "noon"),
            ChatMessage.assistant("It is noon."));

    assertThat(ChatAction.answered(stored)).isEqualTo(stored);
  }
}
