package dev.runnel.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The two wire formats the simulator speaks, as SSE event text. With {@code varied} framing every
 * event uses what the SSE rules allow and careless parsers miss: CRLF line ends, {@code data:}
 * without the space, a comment line first, and its JSON split over two {@code data:} lines.
 */
final class SimWire {
  static final ObjectMapper JSON = new ObjectMapper();

  enum Format {
    OPENAI,
    ANTHROPIC
  }

  private final Format format;
  private final boolean varied;
  private final String id;
  private final String model;

  SimWire(Format format, boolean varied, String id, String model) {
    this.format = format;
    this.varied = varied;
    this.id = id;
    this.model = model;
  }

  /** Events before the first token. */
  List<String> opening(long promptTokens) {
    List<String> events = new ArrayList<>();
    if (format == Format.OPENAI) {
      ObjectNode chunk = openAiChunk();
      ObjectNode choice = chunk.putArray("choices").addObject();
      choice.put("index", 0);
      choice.putObject("delta").put("role", "assistant").put("content", "");
      choice.putNull("finish_reason");
      events.add(event(null, chunk));
    } else {
      ObjectNode start = JSON.createObjectNode().put("type", "message_start");
      ObjectNode message = start.putObject("message");
      message.put("id", id).put("type", "message").put("role", "assistant").put("model", model);
      message.putArray("content");
      message.putNull("stop_reason");
      message.putObject("usage").put("input_tokens", promptTokens).put("output_tokens", 1);
      events.add(event("message_start", start));
      ObjectNode block = JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
      block.putObject("content_block").put("type", "text").put("text", "");
      events.add(event("content_block_start", block));
      events.add(event("ping", JSON.createObjectNode().put("type", "ping")));
    }
    return events;
  }

  String token(String text, int index) {
    if (format == Format.OPENAI) {
      ObjectNode chunk = openAiChunk();
      ObjectNode choice = chunk.putArray("choices").addObject();
      choice.put("index", 0);
      choice.putObject("delta").put("content", text);
      choice.putNull("finish_reason");
      return event(null, chunk);
    }
    ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
    delta.putObject("delta").put("type", "text_delta").put("text", text);
    String e = event("content_block_delta", delta);
    // Anthropic interleaves pings; the varied framing also sends an event type no client knows.
    if (index == 2) {
      e += event("ping", JSON.createObjectNode().put("type", "ping"));
      if (varied) {
        e += event("runnel_sim_future_event", JSON.createObjectNode().put("type", "future"));
      }
    }
    return e;
  }

  /** A tool call the reply asks for. */
  record ToolAsk(String id, String name, String arguments) {}

  /**
   * Events asking for tools after the last token: each call's first fragment with its id and name,
   * then its arguments a few characters at a time, as real servers stream them.
   */
  List<String> toolCalls(List<ToolAsk> asks) {
    List<String> events = new ArrayList<>();
    if (format == Format.ANTHROPIC) {
      events.add(
          event(
              "content_block_stop",
              JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)));
    }
    for (int i = 0; i < asks.size(); i++) {
      ToolAsk ask = asks.get(i);
      if (format == Format.OPENAI) {
        events.add(openAiToolFragment(i, ask, ""));
        for (String piece : pieces(ask.arguments())) {
          events.add(openAiToolFragment(i, null, piece));
        }
      } else {
        int block = i + 1;
        ObjectNode start =
            JSON.createObjectNode().put("type", "content_block_start").put("index", block);
        start
            .putObject("content_block")
            .put("type", "tool_use")
            .put("id", ask.id())
            .put("name", ask.name())
            .putObject("input");
        events.add(event("content_block_start", start));
        for (String piece : pieces(ask.arguments())) {
          ObjectNode delta =
              JSON.createObjectNode().put("type", "content_block_delta").put("index", block);
          delta.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
          events.add(event("content_block_delta", delta));
        }
        events.add(
            event(
                "content_block_stop",
                JSON.createObjectNode().put("type", "content_block_stop").put("index", block)));
      }
    }
    return events;
  }

  private String openAiToolFragment(int index, ToolAsk first, String arguments) {
    ObjectNode chunk = openAiChunk();
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode call = choice.putObject("delta").putArray("tool_calls").addObject();
    call.put("index", index);
    ObjectNode function;
    if (first != null) {
      call.put("id", first.id()).put("type", "function");
      function = call.putObject("function").put("name", first.name());
    } else {
      function = call.putObject("function");
    }
    function.put("arguments", arguments);
    choice.putNull("finish_reason");
    return event(null, chunk);
  }

  private static List<String> pieces(String text) {
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < text.length(); i += 8) {
      pieces.add(text.substring(i, Math.min(text.length(), i + 8)));
    }
    return pieces;
  }

  /**
   * Events after the last token (and the tool calls, when {@code tools}): the finish reason and the
   * usage.
   */
  List<String> closing(boolean length, boolean tools, long promptTokens, long completionTokens) {
    List<String> events = new ArrayList<>();
    if (format == Format.OPENAI) {
      ObjectNode finish = openAiChunk();
      ObjectNode choice = finish.putArray("choices").addObject();
      choice.put("index", 0);
      choice.putObject("delta");
      choice.put("finish_reason", tools ? "tool_calls" : length ? "length" : "stop");
      events.add(event(null, finish));
      ObjectNode usage = openAiChunk();
      usage.putArray("choices");
      usage
          .putObject("usage")
          .put("prompt_tokens", promptTokens)
          .put("completion_tokens", completionTokens)
          .put("total_tokens", promptTokens + completionTokens);
      events.add(event(null, usage));
      events.add(framed(null, List.of("[DONE]")));
    } else {
      if (!tools) {
        events.add(
            event(
                "content_block_stop",
                JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)));
      }
      ObjectNode delta = JSON.createObjectNode().put("type", "message_delta");
      delta
          .putObject("delta")
          .put("stop_reason", tools ? "tool_use" : length ? "max_tokens" : "end_turn")
          .putNull("stop_sequence");
      delta.putObject("usage").put("output_tokens", completionTokens);
      events.add(event("message_delta", delta));
      events.add(event("message_stop", JSON.createObjectNode().put("type", "message_stop")));
    }
    return events;
  }

  String errorEvent(String type) {
    if (format == Format.OPENAI) {
      ObjectNode root = JSON.createObjectNode();
      root.putObject("error")
          .put("message", "simulated " + type + " in the stream")
          .put("type", type)
          .putNull("code");
      return event(null, root);
    }
    ObjectNode root = JSON.createObjectNode().put("type", "error");
    root.putObject("error")
        .put("type", type)
        .put("message", "simulated " + type + " in the stream");
    return event("error", root);
  }

  String malformed() {
    return framed(
        format == Format.OPENAI ? null : "content_block_delta",
        List.of("{\"choices\": [{\"index\": 0, \"delta\": {\"content\": \"unterminated"));
  }

  String defaultErrorType() {
    return format == Format.OPENAI ? "server_error" : "api_error";
  }

  /** The JSON body of an HTTP error response in this format. */
  String errorBody(String type, String code, String message) {
    ObjectNode root = JSON.createObjectNode();
    if (format == Format.ANTHROPIC) {
      root.put("type", "error");
    }
    ObjectNode error = root.putObject("error").put("type", type).put("message", message);
    if (format == Format.OPENAI) {
      if (code == null) {
        error.putNull("code");
      } else {
        error.put("code", code);
      }
    }
    return root.toString();
  }

  private ObjectNode openAiChunk() {
    return JSON.createObjectNode()
        .put("id", id)
        .put("object", "chat.completion.chunk")
        .put("created", 1_700_000_000L)
        .put("model", model);
  }

  private String event(String type, ObjectNode json) {
    String text = json.toString();
    if (!varied) {
      return framed(type, List.of(text));
    }
    int cut = text.indexOf(',');
    return framed(
        type,
        cut < 0 ? List.of(text) : List.of(text.substring(0, cut + 1), text.substring(cut + 1)));
  }

  private String framed(String type, List<String> dataLines) {
    String eol = varied ? "\r\n" : "\n";
    String data = varied ? "data:" : "data: ";
    StringBuilder sb = new StringBuilder();
    if (varied) {
      sb.append(": simulated keep-alive").append(eol);
    }
    if (type != null) {
      sb.append("event: ").append(type).append(eol);
    }
    for (String line : dataLines) {
      sb.append(data).append(line).append(eol);
    }
    return sb.append(eol).toString();
  }
}
