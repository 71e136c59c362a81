package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.schemas.PromptTool;
import dev.runnel.schemas.PromptToolResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The parts of an OpenAI {@code POST /v1/chat/completions} body that Runnel uses. The Runnel
 * session holds the conversation, so only the new turn is sent (see the gateway README): what
 * follows the last assistant message, that is the {@code role: tool} results of its tool calls,
 * then the last {@code user} message. Fields Runnel cannot honour are refused ({@link
 * ChatParameters}, {@link ChatTools}). {@code user} is the caller's end-user id, as in OpenAI's
 * API, never a session.
 *
 * @param prompt the new user message; empty when the turn only answers tool calls
 * @param tools the client's function tools offered to the model
 * @param toolResults the client's results for the tool calls of the last reply
 */
record ChatCompletionRequest(
    Optional<String> model,
    String prompt,
    boolean stream,
    boolean includeUsage,
    Optional<String> user,
    List<PromptTool> tools,
    List<PromptToolResult> toolResults) {

  static ChatCompletionRequest parse(JsonNode body, int promptMaxChars) {
    ChatParameters.check(body);
    List<PromptTool> tools = ChatTools.parse(body);
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new Validation.Invalid(
          "bad_messages", "'messages' must be a non-empty array", "messages");
    }
    int lastAssistant = -1;
    String lastUser = null;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      if (!message.isObject() || !message.path("role").isTextual()) {
        throw new Validation.Invalid(
            "bad_messages", "each message must be an object with a string 'role'", "messages");
      }
      switch (message.get("role").asText()) {
        case "assistant" -> lastAssistant = i;
        case "user" -> lastUser = content(message.get("content"));
        default -> {}
      }
    }
    // The new turn: what follows the last assistant message (the whole list when there is none).
    Set<String> asked =
        lastAssistant < 0 ? null : calls(messages.get(lastAssistant), lastAssistant);
    List<PromptToolResult> results = new ArrayList<>();
    Set<String> answered = new HashSet<>();
    String prompt = null;
    for (int i = lastAssistant + 1; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      String role = message.get("role").asText();
      if (role.equals("user")) {
        prompt = content(message.get("content"));
      } else if (role.equals("tool")) {
        results.add(toolResult(message, i, prompt != null, asked, lastAssistant, answered));
      }
    }
    if (asked != null && !results.isEmpty() && !answered.containsAll(asked)) {
      Set<String> open = new LinkedHashSet<>(asked);
      open.removeAll(answered);
      throw new Validation.Invalid(
          "bad_messages",
          "the tool calls "
              + open
              + " of messages["
              + lastAssistant
              + "] have no role tool message answering them",
          "messages");
    }
    if (results.isEmpty() && prompt == null) {
      prompt = lastUser;
    }
    if (results.isEmpty()) {
      if (prompt == null) {
        throw new Validation.Invalid(
            "bad_messages", "'messages' holds no message with role user", "messages");
      }
      Validation.prompt(prompt, promptMaxChars);
    } else {
      prompt = prompt == null ? "" : prompt;
      long length = prompt.length();
      for (PromptToolResult result : results) {
        length += result.getContent().length();
      }
      if (length > promptMaxChars) {
        throw new Validation.Invalid(
            "prompt_too_long",
            "the new turn (user message and tool results) has "
                + length
                + " characters; at most "
                + promptMaxChars
                + " are allowed");
      }
    }
    JsonNode model = body.get("model");
    if (model != null && !model.isNull() && !model.isTextual()) {
      throw new Validation.Invalid("bad_model", "'model' must be a string", "model");
    }
    JsonNode stream = body.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw new Validation.Invalid("bad_stream", "'stream' must be true or false", "stream");
    }
    JsonNode user = body.get("user");
    if (user != null && !user.isNull() && !user.isTextual()) {
      throw new Validation.Invalid("bad_user", "'user' must be a string", "user");
    }
    return new ChatCompletionRequest(
        model == null || model.isNull() || model.asText().isBlank()
            ? Optional.empty()
            : Optional.of(model.asText()),
        prompt,
        stream != null && stream.asBoolean(false),
        body.path("stream_options").path("include_usage").asBoolean(false),
        user != null && user.isTextual() && !user.asText().isEmpty()
            ? Optional.of(user.asText())
            : Optional.empty(),
        tools,
        results);
  }

  /** The ids of an assistant message's {@code tool_calls}. */
  private static Set<String> calls(JsonNode assistant, int index) {
    String param = "messages[" + index + "].tool_calls";
    JsonNode calls = assistant.get("tool_calls");
    Set<String> ids = new LinkedHashSet<>();
    if (calls == null || calls.isNull()) {
      return ids;
    }
    if (!calls.isArray()) {
      throw new Validation.Invalid("bad_messages", "'" + param + "' must be an array", param);
    }
    for (int i = 0; i < calls.size(); i++) {
      JsonNode id = calls.get(i).path("id");
      if (!id.isTextual() || id.asText().isEmpty()) {
        throw new Validation.Invalid(
            "bad_messages",
            "'" + param + "[" + i + "].id' must be the call's id, a non-empty string",
            param + "[" + i + "].id");
      }
      ids.add(id.asText());
    }
    return ids;
  }

  private static PromptToolResult toolResult(
      JsonNode message,
      int index,
      boolean afterUser,
      Set<String> asked,
      int assistant,
      Set<String> answered) {
    String param = "messages[" + index + "].tool_call_id";
    if (afterUser) {
      throw new Validation.Invalid(
          "bad_messages",
          "messages["
              + index
              + "] is a tool result after a user message; tool results follow the assistant"
              + " message whose calls they answer",
          "messages[" + index + "]");
    }
    JsonNode id = message.get("tool_call_id");
    if (id == null || !id.isTextual() || id.asText().isEmpty()) {
      throw new Validation.Invalid(
          "bad_messages", "'" + param + "' must be the id of the call it answers", param);
    }
    String callId = id.asText();
    if (asked != null && !asked.contains(callId)) {
      throw new Validation.Invalid(
          "bad_messages",
          "'"
              + param
              + "' is '"
              + Validation.shorten(callId)
              + "', which messages["
              + assistant
              + "] did not ask for (its calls: "
              + asked
              + ")",
          param);
    }
    if (!answered.add(callId)) {
      throw new Validation.Invalid(
          "bad_messages",
          "'" + param + "': call '" + Validation.shorten(callId) + "' is answered twice",
          param);
    }
    return new PromptToolResult(callId, content(message.get("content")));
  }

  // Content is a string, or (newer clients) an array of parts of which the text ones count.
  private static String content(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (content.isArray()) {
      StringBuilder text = new StringBuilder();
      for (JsonNode part : content) {
        if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
          text.append(part.get("text").asText());
        }
      }
      return text.toString();
    }
    throw new Validation.Invalid(
        "bad_messages", "a message's 'content' must be a string or an array", "messages");
  }
}
