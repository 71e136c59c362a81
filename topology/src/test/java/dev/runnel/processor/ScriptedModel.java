package dev.runnel.processor;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolCallDelta;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A {@link ChatModel} whose calls the test drives: each call stays open until the test (or a queued
 * script) sends deltas and a completion or an error.
 */
final class ScriptedModel implements ChatModel {
  private final List<Call> calls = new ArrayList<>();
  private final Deque<Consumer<Call>> scripts = new ArrayDeque<>();
  private Consumer<Call> defaultScript = call -> {};
  private int open;
  private int maxOpen;

  /** Every call answers by streaming the words of {@code "echo: <prompt>"} and completing. */
  static ScriptedModel echoing() {
    ScriptedModel model = new ScriptedModel();
    model.defaultScript = Call::echo;
    return model;
  }

  /** Calls stay open until the test ends them. */
  static ScriptedModel manual() {
    return new ScriptedModel();
  }

  /** The next call runs this script instead of the default one. */
  synchronized ScriptedModel thenCall(Consumer<Call> script) {
    scripts.add(script);
    return this;
  }

  @Override
  public ChatCall stream(ChatRequest request, StreamListener listener) {
    Call call;
    Consumer<Call> script;
    synchronized (this) {
      call = new Call(this, request, listener);
      calls.add(call);
      open++;
      maxOpen = Math.max(maxOpen, open);
      script = scripts.isEmpty() ? defaultScript : scripts.poll();
    }
    script.accept(call);
    return call::cancel;
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  synchronized Call lastCall() {
    return calls.get(calls.size() - 1);
  }

  synchronized int openCalls() {
    return open;
  }

  synchronized int maxOpenCalls() {
    return maxOpen;
  }

  private synchronized void ended() {
    open--;
  }

  /** One call: the request it got and the controls to answer it. */
  static final class Call {
    private final ScriptedModel model;
    private final ChatRequest request;
    private final StreamListener listener;
    private final StringBuilder text = new StringBuilder();

    /** The tool calls' fragments merged by index: id, name, arguments. */
    private final Map<Integer, String[]> toolCalls = new TreeMap<>();

    private boolean ended;
    private boolean cancelled;

    Call(ScriptedModel model, ChatRequest request, StreamListener listener) {
      this.model = model;
      this.request = request;
      this.listener = listener;
    }

    ChatRequest request() {
      return request;
    }

    String prompt() {
      return request.messages().get(request.messages().size() - 1).content();
    }

    synchronized boolean cancelled() {
      return cancelled;
    }

    synchronized boolean open() {
      return !ended;
    }

    synchronized Call delta(String piece) {
      if (!ended) {
        text.append(piece);
        listener.onDelta(piece);
      }
      return this;
    }

    synchronized Call toolCall(int index, String id, String name, String arguments) {
      if (!ended) {
        String[] call = toolCalls.computeIfAbsent(index, i -> new String[] {id, name, ""});
        call[2] += arguments;
        listener.onToolCall(new ToolCallDelta(index, id, name, arguments));
      }
      return this;
    }

    synchronized void complete() {
      if (end()) {
        listener.onComplete(
            new ChatCompletion(
                text.toString(),
                toolCalls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS,
                new TokenUsage(3, text.length(), 3 + text.length()),
                toolCalls.values().stream().map(c -> new ToolCall(c[0], c[1], c[2])).toList()));
      }
    }

    /** Ends the call with a reply that asks for {@code calls}. */
    synchronized void completeWithToolCalls(List<ToolCall> calls) {
      if (end()) {
        listener.onComplete(
            new ChatCompletion(
                text.toString(), FinishReason.TOOL_CALLS, new TokenUsage(3, 1, 4), calls));
      }
    }

    synchronized void fail(ModelException error) {
      if (end()) {
        listener.onError(error);
      }
    }

    void echo() {
      for (String word : ("echo: " + prompt()).split("(?<= )")) {
        delta(word);
      }
      complete();
    }

    private synchronized void cancel() {
      cancelled = true;
      end();
    }

    private boolean end() {
      if (ended) {
        return false;
      }
      ended = true;
      model.ended();
      return true;
    }
  }
}
