package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;
import dev.runnel.schemas.ToolCallFragment;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Turns one request's chunks into an OpenAI chat completion: {@code chat.completion.chunk} events
 * ending with {@code data: [DONE]} when streaming, one {@code chat.completion} object otherwise.
 *
 * <p>The reply is the deltas, in sequence order, of the model call (attempt and call id) that the
 * end record names. While streaming, the call shown is the latest one: a delta of a higher attempt,
 * or of the same attempt and another call id, starts over. A restart cannot be retracted from an
 * OpenAI client, so the new call's text is checked against what was already sent ({@link
 * SentText}): while it repeats it, nothing is sent; past it, only the new part is. If it differs,
 * the stream ends with an error event rather than a reply that mixes two calls.
 *
 * <p>Tool-call fragments ({@code Chunk.toolCall}) stream as {@code delta.tool_calls}, in OpenAI's
 * form (the first fragment of a call carries its {@code id}, {@code type} and {@code
 * function.name}; each carries a piece of {@code function.arguments}); a whole completion has them
 * assembled in {@code message.tool_calls}, and {@code finish_reason} is {@code tool_calls}.
 *
 * <p>A failure is sent as {@code event: error} with {@code data: {"error":{...}}}: the {@code
 * openai} npm client throws on the {@code error} field, LangChain4j's OpenAI client on the event
 * name.
 *
 * <p>A request id that was already answered (a client retrying with the same {@code
 * Idempotency-Key}) gets an end record marked duplicate and no deltas. When this watcher has not
 * seen the original call's deltas, the reply is the assistant message of that request in the
 * session state ({@link EarlierReplies}); when the state no longer holds it, the answer says so
 * (410), never an empty reply.
 */
final class CompletionWatcher implements Watcher {
  private final String requestId;
  private final String model;
  private final long created;
  private final SseStream stream;
  private final boolean includeUsage;
  private final Consumer<ObjectNode> onResponse;
  private final Consumer<ApiError> onError;
  private EarlierReplies earlierReplies = EarlierReplies.NONE;
  // Every call of this request seen, by attempt and call id: the end record picks one of them (a
  // rolled-back start can give a restart a lower attempt number than a lost call had).
  private final Map<String, Call> calls = new HashMap<>();
  private int attempt = -1;
  private Call shown;
  private final SentText sent = new SentText();
  // The tool-call fragments streamed, and how many of them the call now shown has repeated.
  private final List<ToolCallFragment> sentTools = new ArrayList<>();
  private int toolPosition;
  private boolean done;

  private static final class Call {
    final StringBuilder text = new StringBuilder();
    final List<ToolCallFragment> tools = new ArrayList<>();
    int nextSequence;
    int received;
  }

  /** A streaming completion over {@code stream}. */
  static CompletionWatcher streaming(
      String requestId, String model, long created, SseStream stream, boolean includeUsage) {
    return new CompletionWatcher(requestId, model, created, stream, includeUsage, null, null);
  }

  /** A whole completion handed to {@code onResponse}, or its failure to {@code onError}. */
  static CompletionWatcher whole(
      String requestId,
      String model,
      long created,
      Consumer<ObjectNode> onResponse,
      Consumer<ApiError> onError) {
    return new CompletionWatcher(requestId, model, created, null, false, onResponse, onError);
  }

  private CompletionWatcher(
      String requestId,
      String model,
      long created,
      SseStream stream,
      boolean includeUsage,
      Consumer<ObjectNode> onResponse,
      Consumer<ApiError> onError) {
    this.requestId = requestId;
    this.model = model;
    this.created = created;
    this.stream = stream;
    this.includeUsage = includeUsage;
    this.onResponse = onResponse;
    this.onError = onError;
  }

  /** Where the text of an already answered request is looked up; none by default. */
  CompletionWatcher earlierReplies(EarlierReplies lookup) {
    this.earlierReplies = lookup;
    return this;
  }

  /** The OpenAI id of this completion. */
  String completionId() {
    return "chatcmpl-" + requestId;
  }

  /** True once the request has its answer (a reply, an error or a cancellation). */
  synchronized boolean done() {
    return done;
  }

  /** Sends the first chunk, carrying the assistant role, as OpenAI does. */
  void start() {
    if (stream != null) {
      ObjectNode delta = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
      stream.event(null, Json.write(chunk(delta, null)));
    }
  }

  @Override
  public synchronized boolean offer(ChunkEvent event) {
    Chunk chunk = event.chunk();
    if (done || !requestId.equals(chunk.getRequestId())) {
      return !done && (stream == null || stream.isOpen());
    }
    Call call =
        calls.computeIfAbsent(
            chunk.getAttempt() + "/" + Objects.toString(chunk.getCallId(), ""), k -> new Call());
    if (chunk.getSequence() < call.nextSequence) {
      return true; // a delta delivered twice by the at-least-once lane
    }
    call.nextSequence = chunk.getSequence() + 1;
    if (chunk.getEnd()) {
      done = true;
      if (chunk.getDuplicate() && call.received < chunk.getSequence() && succeeded(chunk)) {
        answerFromState(chunk);
      } else {
        end(chunk, call);
      }
      return false;
    }
    call.received++;
    ToolCallFragment tool = chunk.getToolCall();
    if (tool != null) {
      call.tools.add(tool);
    } else {
      call.text.append(chunk.getDelta());
    }
    if (chunk.getAttempt() < attempt) {
      return true; // kept, in case the end record names it, but a lower attempt is not shown
    }
    attempt = chunk.getAttempt();
    if (stream == null) {
      return true;
    }
    if (call != shown) {
      return show(call) && (stream.isOpen());
    }
    return tool == null ? send(chunk.getDelta()) : sendTool(tool);
  }

  /**
   * Makes {@code call} the one shown: its text and tool calls so far are checked against what was
   * sent.
   */
  private boolean show(Call call) {
    shown = call;
    sent.restart();
    toolPosition = 0;
    if (!send(call.text)) {
      return false;
    }
    for (ToolCallFragment tool : call.tools) {
      if (!sendTool(tool)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Streams a tool-call fragment in OpenAI's form: the first fragment of a call carries its id,
   * type and name. A restarted call's fragments must repeat those sent, as its text must.
   */
  private boolean sendTool(ToolCallFragment tool) {
    if (toolPosition < sentTools.size()) {
      if (!sentTools.get(toolPosition).equals(tool)) {
        diverged();
        return false;
      }
      toolPosition++;
      return stream.isOpen();
    }
    sentTools.add(tool);
    toolPosition++;
    ObjectNode call = Json.MAPPER.createObjectNode().put("index", tool.getIndex());
    ObjectNode function = Json.MAPPER.createObjectNode();
    if (tool.getId() != null) {
      call.put("id", tool.getId()).put("type", "function");
    }
    if (tool.getName() != null) {
      function.put("name", tool.getName());
    }
    function.put("arguments", tool.getArguments());
    call.set("function", function);
    ObjectNode delta = Json.MAPPER.createObjectNode();
    delta.putArray("tool_calls").add(call);
    return stream.event(null, Json.write(chunk(delta, null)));
  }

  private void diverged() {
    done = true;
    fail(
        ApiError.of(
            HttpResponseStatus.BAD_GATEWAY,
            "attempt_diverged",
            "the request was restarted and the new call's text differs from what was streamed"));
  }

  private boolean send(CharSequence part) {
    String fresh = sent.accept(part);
    if (fresh == null) {
      diverged();
      return false;
    }
    if (fresh.isEmpty()) {
      return stream.isOpen();
    }
    ObjectNode delta = Json.MAPPER.createObjectNode().put("content", fresh);
    return stream.event(null, Json.write(chunk(delta, null)));
  }

  private static boolean succeeded(Chunk end) {
    return end.getError() == null && end.getFinishReason() != FinishReason.CANCELLED;
  }

  /** Answers a duplicate of a request whose deltas this watcher never saw, from the state. */
  private void answerFromState(Chunk end) {
    earlierReplies
        .text(end.getSessionId(), requestId)
        .whenComplete(
            (text, error) -> {
              synchronized (this) {
                if (error == null && text.isPresent()) {
                  Call call = new Call();
                  call.text.append(text.get());
                  end(end, call);
                } else {
                  fail(
                      ApiError.of(
                          HttpResponseStatus.GONE,
                          "reply_unavailable",
                          "request "
                              + requestId
                              + " was already answered (session version "
                              + end.getSessionVersion()
                              + "), but its reply is no longer in the session's conversation"
                              + " or the session state could not be read"));
                }
              }
            });
  }

  private void end(Chunk chunk, Call call) {
    if (chunk.getError() != null) {
      fail(ApiError.ofModel(chunk.getError()));
      return;
    }
    if (chunk.getFinishReason() == FinishReason.CANCELLED) {
      fail(ApiError.cancelled("the request was cancelled before it finished"));
      return;
    }
    String finish = finishReason(chunk.getFinishReason());
    if (stream != null) {
      if (call == shown || show(call)) {
        stream.event(null, Json.write(chunk(Json.MAPPER.createObjectNode(), finish)));
        if (includeUsage) {
          ObjectNode last = chunk(null, null);
          last.set("usage", usage(chunk.getUsage()));
          stream.event(null, Json.write(last));
        }
        stream.event(null, "[DONE]");
        stream.finish();
      }
      return;
    }
    ObjectNode response = Json.MAPPER.createObjectNode();
    response.put("id", completionId());
    response.put("object", "chat.completion");
    response.put("created", created);
    response.put("model", model);
    ObjectNode choice = response.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    ArrayNode toolCalls = toolCalls(call.tools);
    if (toolCalls.isEmpty() || call.text.length() > 0) {
      message.put("content", call.text.toString());
    } else {
      message.putNull("content");
    }
    if (!toolCalls.isEmpty()) {
      message.set("tool_calls", toolCalls);
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", finish);
    response.set("usage", usage(chunk.getUsage()));
    onResponse.accept(response);
  }

  /** A call's tool calls, whole, in OpenAI's {@code message.tool_calls} form, by index. */
  private static ArrayNode toolCalls(List<ToolCallFragment> fragments) {
    Map<Integer, ObjectNode> byIndex = new TreeMap<>();
    for (ToolCallFragment fragment : fragments) {
      ObjectNode call =
          byIndex.computeIfAbsent(
              fragment.getIndex(),
              i -> {
                ObjectNode node =
                    Json.MAPPER.createObjectNode().put("id", "").put("type", "function");
                node.putObject("function").put("name", "").put("arguments", "");
                return node;
              });
      ObjectNode function = (ObjectNode) call.get("function");
      if (fragment.getId() != null) {
        call.put("id", fragment.getId());
      }
      if (fragment.getName() != null) {
        function.put("name", fragment.getName());
      }
      function.put("arguments", function.get("arguments").asText() + fragment.getArguments());
    }
    ArrayNode calls = Json.MAPPER.createArrayNode();
    byIndex.values().forEach(calls::add);
    return calls;
  }

  private ObjectNode chunk(ObjectNode delta, String finishReason) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("id", completionId());
    node.put("object", "chat.completion.chunk");
    node.put("created", created);
    node.put("model", model);
    ArrayNode choices = node.putArray("choices");
    if (delta != null) {
      ObjectNode choice = choices.addObject();
      choice.put("index", 0);
      choice.set("delta", delta);
      choice.putNull("logprobs");
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
    }
    return node;
  }

  private static ObjectNode usage(TokenUsage usage) {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("prompt_tokens", usage == null ? 0 : usage.getPromptTokens());
    node.put("completion_tokens", usage == null ? 0 : usage.getCompletionTokens());
    node.put("total_tokens", usage == null ? 0 : usage.getTotalTokens());
    return node;
  }

  private static String finishReason(FinishReason reason) {
    if (reason == null) {
      return "stop";
    }
    return switch (reason) {
      case LENGTH -> "length";
      case CONTENT_FILTER -> "content_filter";
      case TOOL_CALLS -> "tool_calls";
      default -> "stop";
    };
  }

  @Override
  public synchronized void fail(String code, String message) {
    fail(ApiError.of(HttpResponseStatus.SERVICE_UNAVAILABLE, code, message));
  }

  /** Ends the completion with {@code error}. */
  synchronized void fail(ApiError error) {
    done = true;
    if (stream != null) {
      stream.send("event: error\ndata: " + Json.write(error.body()) + "\n\n");
      stream.finish();
    } else {
      onError.accept(error);
    }
  }
}
