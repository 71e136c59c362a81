package dev.runnel.model.openai.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.ModelException.Kind;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.internal.CallSink;
import dev.runnel.model.internal.ModelErrors;
import dev.runnel.model.internal.SseEvent;
import dev.runnel.model.internal.SseProtocol;

/**
 * The Chat Completions chunk stream: {@code data:} events holding {@code chat.completion.chunk}
 * objects, ended by {@code data: [DONE]}.
 *
 * <p>Reads choice 0's {@code delta.content} (null, absent or empty in role-only and final chunks),
 * its {@code delta.tool_calls} fragments (each with its {@code index}; {@code id} and {@code
 * function.name} on a call's first fragment, pieces of {@code function.arguments} on every one),
 * its {@code finish_reason}, and {@code usage} from whichever chunk has it (with {@code
 * include_usage} a last chunk with {@code choices: []}). An {@code error} object in a chunk ends
 * the call with the kind its type or code names. The legacy {@code delta.function_call} (answering
 * the deprecated {@code functions} parameter, which Runnel never sends) and reasoning deltas
 * ({@code delta.reasoning_content}) are deliberately ignored. Events of a named type other than
 * {@code message} are ignored, as a browser's {@code onmessage} would.
 *
 * <p>If the body ends without {@code [DONE]}, the reply counts as whole when a finish reason
 * arrived (some servers omit the marker), and as a dropped stream otherwise.
 */
public final class OpenAiStreamProtocol implements SseProtocol {
  private FinishReason finishReason;
  private TokenUsage usage = TokenUsage.NONE;

  @Override
  public void onEvent(SseEvent event, CallSink sink) {
    if (!"message".equals(event.type()) && !"error".equals(event.type())) {
      return;
    }
    String data = event.data().strip();
    if (data.equals("[DONE]")) {
      sink.complete(finishReason == null ? FinishReason.UNKNOWN : finishReason, usage);
      return;
    }
    JsonNode chunk;
    try {
      chunk = OpenAiWire.JSON.readTree(data);
    } catch (JsonProcessingException e) {
      throw new ModelException(
          Kind.PROTOCOL,
          "malformed JSON in chunk after "
              + sink.deltaCount()
              + " deltas: "
              + e.getOriginalMessage(),
          null,
          e);
    }
    if (chunk == null || !chunk.isObject()) {
      throw new ModelException(Kind.PROTOCOL, "chunk is not a JSON object");
    }
    JsonNode error = chunk.path("error");
    if (!error.isMissingNode() && !error.isNull()) {
      sink.fail(
          ModelErrors.forStreamError(
              error.isObject()
                  ? error
                  : OpenAiWire.JSON.createObjectNode().put("message", error.asText())));
      return;
    }
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("index").asInt(0) != 0) {
        continue;
      }
      JsonNode delta = choice.path("delta");
      JsonNode content = delta.path("content");
      if (content.isTextual()) {
        sink.delta(content.asText());
      }
      for (JsonNode call : delta.path("tool_calls")) {
        JsonNode function = call.path("function");
        sink.toolCall(
            call.path("index").asInt(0),
            textOrNull(call.path("id")),
            textOrNull(function.path("name")),
            function.path("arguments").asText(""));
      }
      JsonNode reason = choice.path("finish_reason");
      if (reason.isTextual()) {
        finishReason = finishReason(reason.asText());
      }
    }
    JsonNode u = chunk.path("usage");
    if (u.isObject()) {
      long prompt = u.path("prompt_tokens").asLong(0);
      long completion = u.path("completion_tokens").asLong(0);
      usage =
          new TokenUsage(prompt, completion, u.path("total_tokens").asLong(prompt + completion));
    }
  }

  @Override
  public void onEndOfStream(CallSink sink) {
    if (finishReason != null) {
      sink.complete(finishReason, usage);
    } else {
      sink.fail(
          new ModelException(
              Kind.STREAM_DROPPED,
              "the stream ended without [DONE] or a finish reason after "
                  + sink.deltaCount()
                  + " deltas"));
    }
  }

  private static String textOrNull(JsonNode node) {
    return node.isTextual() ? node.asText() : null;
  }

  static FinishReason finishReason(String reason) {
    return switch (reason) {
      case "stop", "eos", "end_turn", "stop_sequence" -> FinishReason.STOP;
      case "length", "max_tokens" -> FinishReason.LENGTH;
      case "content_filter" -> FinishReason.CONTENT_FILTER;
      case "tool_calls", "function_call" -> FinishReason.TOOL_CALLS;
      default -> FinishReason.UNKNOWN;
    };
  }
}
