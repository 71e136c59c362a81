package dev.runnel.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAI Responses stream of one response, derived from its request's chunk records.
 *
 * <p>Sequence numbers are a function of the records alone, never of a connection: {@code
 * response.created} is 0 and {@code response.in_progress} 1; the first chunk that brings text adds
 * the message item (2) and its text part (3); then every chunk record that brings new text is one
 * {@code response.output_text.delta}, numbered in the records' offset order (a delta delivered
 * twice, or repeated by a restarted attempt, brings none); the end record closes the text, the part
 * and the item and ends with {@code response.completed}, {@code response.incomplete} (cut at the
 * token limit) or {@code response.failed} (a model error, a cancellation, or a restarted attempt
 * whose text contradicts what was sent). Any gateway instance that reads the request's records from
 * the chunks topic numbers them the same, so {@code starting_after=N} means the same event on every
 * instance.
 */
final class ResponsesEvents {
  /** One event: its sequence number, type and JSON body (which holds both). */
  record Event(long sequence, String type, ObjectNode data) {
    /** The event in server-sent event form. */
    String sse() {
      return "event: " + type + "\ndata: " + Json.write(data) + "\n\n";
    }
  }

  private final ResponseId id;
  private final String instructions;
  private final ReplyText reply;
  private long nextSequence;
  private boolean itemOpen;
  private boolean anyChunk;
  private String status = "queued";
  private Chunk end;
  private ObjectNode error;

  /**
   * The events of {@code id}; {@code instructions} is the system prompt its model gets, or null.
   */
  ResponsesEvents(ResponseId id, String instructions) {
    this.id = id;
    this.instructions = instructions;
    this.reply = new ReplyText(id.requestId());
  }

  /** The events every stream begins with: created and in progress. */
  List<Event> start() {
    List<Event> out = new ArrayList<>();
    out.add(withResponse("response.created", "in_progress"));
    out.add(withResponse("response.in_progress", "in_progress"));
    return out;
  }

  /** True once the terminal event was produced. */
  boolean ended() {
    return end != null || error != null;
  }

  /** Takes the next chunk of the session; returns the events it makes (none for other requests). */
  List<Event> accept(Chunk chunk) {
    if (ended() || !id.requestId().equals(chunk.getRequestId())) {
      return List.of();
    }
    anyChunk = true;
    status = "in_progress";
    ReplyText.Step step = reply.accept(chunk);
    List<Event> out = new ArrayList<>();
    if (step.diverged()) {
      status = "failed";
      error =
          Json.MAPPER
              .createObjectNode()
              .put("code", "attempt_diverged")
              .put(
                  "message",
                  "the request was restarted and the new call's text differs from what was"
                      + " streamed");
      out.add(withResponse("response.failed", status));
      return out;
    }
    if (!step.fresh().isEmpty()) {
      openItem(out);
      out.add(textEvent("response.output_text.delta").put("delta", step.fresh()).event());
    }
    if (step.end() != null) {
      finish(step.end(), out);
    }
    return out;
  }

  private void finish(Chunk last, List<Event> out) {
    end = last;
    if (last.getError() != null) {
      status = "failed";
      error =
          Json.MAPPER
              .createObjectNode()
              .put("code", last.getError().getKind().toLowerCase(Locale.ROOT))
              .put("message", last.getError().getMessage());
      out.add(withResponse("response.failed", status));
      return;
    }
    if (last.getFinishReason() == FinishReason.CANCELLED) {
      status = "cancelled";
      error =
          Json.MAPPER
              .createObjectNode()
              .put("code", "cancelled")
              .put("message", "the response was cancelled before it finished");
      out.add(withResponse("response.failed", status));
      return;
    }
    status = last.getFinishReason() == FinishReason.LENGTH ? "incomplete" : "completed";
    openItem(out);
    String text = reply.text();
    out.add(textEvent("response.output_text.done").put("text", text).event());
    out.add(partEvent("response.content_part.done", text));
    EventBuilder item = builder("response.output_item.done");
    item.data.put("output_index", 0);
    item.data.set("item", message(text, status.equals("completed") ? "completed" : "incomplete"));
    out.add(item.event());
    out.add(
        withResponse(
            status.equals("completed") ? "response.completed" : "response.incomplete", status));
  }

  private void openItem(List<Event> out) {
    if (itemOpen) {
      return;
    }
    itemOpen = true;
    EventBuilder added = builder("response.output_item.added");
    added.data.put("output_index", 0);
    ObjectNode item = message("", "in_progress");
    item.putArray("content");
    added.data.set("item", item);
    out.add(added.event());
    out.add(partEvent("response.content_part.added", ""));
  }

  private Event partEvent(String type, String text) {
    EventBuilder b = builder(type);
    b.data.put("item_id", id.messageId()).put("output_index", 0).put("content_index", 0);
    b.data.set("part", outputText(text));
    return b.event();
  }

  private EventBuilder textEvent(String type) {
    EventBuilder b = builder(type);
    b.data.put("item_id", id.messageId()).put("output_index", 0).put("content_index", 0);
    b.data.putArray("logprobs");
    return b;
  }

  private Event withResponse(String type, String shownStatus) {
    EventBuilder b = builder(type);
    b.data.set("response", response(shownStatus));
    return b.event();
  }

  private EventBuilder builder(String type) {
    return new EventBuilder(nextSequence++, type);
  }

  private static final class EventBuilder {
    final long sequence;
    final String type;
    final ObjectNode data = Json.MAPPER.createObjectNode();

    EventBuilder(long sequence, String type) {
      this.sequence = sequence;
      this.type = type;
      data.put("type", type).put("sequence_number", sequence);
    }

    EventBuilder put(String field, String value) {
      data.put(field, value);
      return this;
    }

    Event event() {
      return new Event(sequence, type, data);
    }
  }

  /** Why the response did not complete, as an error answer; null when it completed. */
  ApiError failure() {
    if (end == null && error == null) {
      return null;
    }
    if (end == null) {
      return ApiError.of(
          io.netty.handler.codec.http.HttpResponseStatus.BAD_GATEWAY,
          error.path("code").asText(),
          error.path("message").asText());
    }
    if (end.getError() != null) {
      return ApiError.ofModel(end.getError());
    }
    if (end.getFinishReason() == FinishReason.CANCELLED) {
      return ApiError.cancelled("the response was cancelled before it finished");
    }
    return null;
  }

  /** The response object as the records read so far make it. */
  ObjectNode response() {
    return response(anyChunk || ended() ? status : "queued");
  }

  private ObjectNode response(String shownStatus) {
    ObjectNode r = Json.MAPPER.createObjectNode();
    r.put("id", id.encode());
    r.put("object", "response");
    r.put("created_at", id.createdAt());
    r.put("status", shownStatus);
    r.put("background", id.background());
    r.set("error", shownStatus.equals(status) ? error : null);
    if (shownStatus.equals("incomplete")) {
      r.putObject("incomplete_details").put("reason", "max_output_tokens");
    } else {
      r.putNull("incomplete_details");
    }
    r.put("instructions", instructions);
    r.putNull("max_output_tokens");
    r.put("model", id.model());
    ArrayNode output = r.putArray("output");
    String text = reply.text();
    boolean finished = shownStatus.equals(status) && ended();
    if (!text.isEmpty() || (finished && end != null && error == null)) {
      output.add(
          message(
              text,
              !finished
                  ? "in_progress"
                  : shownStatus.equals("completed") ? "completed" : "incomplete"));
    }
    r.put("parallel_tool_calls", true);
    r.putNull("previous_response_id");
    r.put("store", id.stored());
    r.putNull("temperature");
    r.putObject("text").putObject("format").put("type", "text");
    r.put("tool_choice", "auto");
    r.putArray("tools");
    r.putNull("top_p");
    r.put("truncation", "disabled");
    r.putObject("metadata");
    if (finished && end != null) {
      r.set("usage", usage(end.getUsage()));
    } else {
      r.putNull("usage");
    }
    return r;
  }

  private ObjectNode message(String text, String itemStatus) {
    ObjectNode m = Json.MAPPER.createObjectNode();
    m.put("id", id.messageId());
    m.put("type", "message");
    m.put("status", itemStatus);
    m.put("role", "assistant");
    m.putArray("content").add(outputText(text));
    return m;
  }

  private static ObjectNode outputText(String text) {
    ObjectNode part = Json.MAPPER.createObjectNode().put("type", "output_text").put("text", text);
    part.putArray("annotations");
    part.putArray("logprobs");
    return part;
  }

  private static ObjectNode usage(TokenUsage usage) {
    ObjectNode u = Json.MAPPER.createObjectNode();
    long in = usage == null ? 0 : usage.getPromptTokens();
    long out = usage == null ? 0 : usage.getCompletionTokens();
    u.put("input_tokens", in);
    u.putObject("input_tokens_details").put("cached_tokens", 0);
    u.put("output_tokens", out);
    u.putObject("output_tokens_details").put("reasoning_tokens", 0);
    u.put("total_tokens", usage == null ? 0 : usage.getTotalTokens());
    return u;
  }
}
