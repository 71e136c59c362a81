package dev.runnel.testkit;

import dev.runnel.model.ChatCall;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.ToolCall;
import dev.runnel.model.ToolCallDelta;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * A {@link ChatModel} that a test scripts. Every event of a call (its deltas, its completion or its
 * error) reaches the caller on the model's own thread, never on the caller's, as a real model
 * client's do; the events of one model arrive in the order they were scripted.
 *
 * <p>Each call runs a script: the next one queued with {@link #thenCall}, otherwise the model's
 * default ({@link #echoing()} streams {@code "echo: <prompt>"} word by word and completes; {@link
 * #manual()} leaves the call open until the test answers it through {@link #awaitCall}). A script
 * and the test answer a call through its {@link Call} methods, which return at once. Cancelling a
 * call stops its events: after {@link ChatCall#cancel()} returns, the caller gets no further delta
 * and the call ends with a {@link ModelException.Kind#CANCELLED} error, as the model contract says.
 *
 * <pre>{@code
 * try (ScriptedModel model = ScriptedModel.echoing();
 *     ActionTestDriver driver = ActionTestDriver.builder(new MyAction(model)).build()) {
 *   String request = driver.send("alice", "hello");
 *   driver.awaitFinal("alice", request);
 *   assertThat(driver.rebuiltText(request)).isEqualTo("echo: hello");
 *   assertThat(model.calls()).hasSize(1);
 * }
 * }</pre>
 */
public final class ScriptedModel implements ChatModel {
  private static final Duration AWAIT_LIMIT = Duration.ofSeconds(30);

  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "runnel-scripted-model");
            t.setDaemon(true);
            return t;
          });
  private final Consumer<Call> defaultScript;
  private final List<Call> calls = new ArrayList<>();
  private final Deque<Consumer<Call>> scripts = new ArrayDeque<>();
  private int open;
  private int maxOpen;

  private ScriptedModel(Consumer<Call> defaultScript) {
    this.defaultScript = defaultScript;
  }

  /** Every call streams the words of {@code "echo: <prompt>"} and completes. */
  public static ScriptedModel echoing() {
    return new ScriptedModel(Call::echo);
  }

  /** Every call stays open until the test answers it. */
  public static ScriptedModel manual() {
    return new ScriptedModel(call -> {});
  }

  /** Every call runs this script (on the model's thread) unless {@link #thenCall} queued one. */
  public static ScriptedModel scripted(Consumer<Call> script) {
    return new ScriptedModel(Objects.requireNonNull(script, "script"));
  }

  /** The next call not yet made runs this script instead of the default; scripts queue in order. */
  public synchronized ScriptedModel thenCall(Consumer<Call> script) {
    scripts.add(Objects.requireNonNull(script, "script"));
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
      notifyAll();
    }
    post(() -> script.accept(call));
    return call::cancel;
  }

  /** Every call so far, in the order they were made. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /**
   * The call with this index (0 for the first), waiting up to 30 seconds for it to be made.
   *
   * @throws AssertionError when fewer calls were made by then
   */
  public synchronized Call awaitCall(int index) throws InterruptedException {
    long deadline = System.nanoTime() + AWAIT_LIMIT.toNanos();
    while (calls.size() <= index) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "call " + index + " was not made within " + AWAIT_LIMIT + "; calls: " + calls.size());
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return calls.get(index);
  }

  /** Calls neither ended nor cancelled. */
  public synchronized int openCalls() {
    return open;
  }

  /** The most calls that were open at once. */
  public synchronized int maxOpenCalls() {
    return maxOpen;
  }

  /** Runs on the model's thread, in order; dropped once the model is closed. */
  private void post(Runnable event) {
    try {
      thread.execute(event);
    } catch (RejectedExecutionException closed) {
      // The model was closed: its calls send nothing more.
    }
  }

  private synchronized void ended() {
    open--;
  }

  /** Stops the model's thread; events not yet delivered are dropped. */
  @Override
  public void close() {
    thread.shutdownNow();
  }

  /** One call: the request it got, and the controls that answer it. */
  public static final class Call {
    private final ScriptedModel model;
    private final ChatRequest request;
    private final StreamListener listener;
    private final StringBuilder text = new StringBuilder();
    private final List<String[]> toolCalls = new ArrayList<>();
    private int scriptedToolCalls;
    private int deltas;
    private boolean ended;
    private boolean cancelled;

    private Call(ScriptedModel model, ChatRequest request, StreamListener listener) {
      this.model = model;
      this.request = request;
      this.listener = listener;
    }

    /** What the caller asked. */
    public ChatRequest request() {
      return request;
    }

    /** The content of the request's last message. */
    public String prompt() {
      List<ChatMessage> messages = request.messages();
      return messages.isEmpty() ? "" : messages.get(messages.size() - 1).content();
    }

    /** True once the caller cancelled the call before it ended. */
    public synchronized boolean cancelled() {
      return cancelled;
    }

    /** True until the call completes, fails or is cancelled. */
    public synchronized boolean open() {
      return !ended;
    }

    /** Sends a delta; dropped if the call has ended by the time the model's thread sends it. */
    public Call delta(String piece) {
      Objects.requireNonNull(piece, "piece");
      model.post(
          () -> {
            synchronized (this) {
              if (!ended) {
                text.append(piece);
                deltas++;
                listener.onDelta(piece);
              }
            }
          });
      return this;
    }

    /**
     * Sends a fragment of a tool call, as a model asking for a tool does: the first fragment of a
     * call (the next index) names its id and tool, later ones ({@code id} and {@code name} null)
     * add to its arguments.
     */
    public Call toolCall(int index, String id, String name, String arguments) {
      ToolCallDelta fragment = new ToolCallDelta(index, id, name, arguments);
      synchronized (this) {
        if (index > scriptedToolCalls) {
          throw new IllegalArgumentException(
              "tool call " + index + " before tool call " + scriptedToolCalls);
        }
        if (index == scriptedToolCalls) {
          scriptedToolCalls++;
        }
      }
      model.post(
          () -> {
            synchronized (this) {
              if (!ended) {
                if (index == toolCalls.size()) {
                  toolCalls.add(new String[] {id, name, ""});
                }
                toolCalls.get(index)[2] += arguments;
                deltas++;
                listener.onToolCall(fragment);
              }
            }
          });
      return this;
    }

    /**
     * Completes the call with the text of its deltas, a usage that counts the request's words as
     * prompt tokens and each delta and tool-call fragment as a completion token, and {@link
     * FinishReason#STOP}, or {@link FinishReason#TOOL_CALLS} with the merged calls when it sent
     * any.
     */
    public void complete() {
      model.post(
          () -> {
            synchronized (this) {
              if (end()) {
                long prompt =
                    request.messages().stream()
                        .mapToLong(m -> m.content().split("\\s+").length)
                        .sum();
                List<ToolCall> calls =
                    toolCalls.stream().map(c -> new ToolCall(c[0], c[1], c[2])).toList();
                listener.onComplete(
                    new ChatCompletion(
                        text.toString(),
                        calls.isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS,
                        new TokenUsage(prompt, deltas, prompt + deltas),
                        calls));
              }
            }
          });
    }

    /** Ends the call with this error. */
    public void fail(ModelException error) {
      Objects.requireNonNull(error, "error");
      model.post(
          () -> {
            synchronized (this) {
              if (end()) {
                listener.onError(error);
              }
            }
          });
    }

    /**
     * Streams the words of {@code "echo: <prompt>"}, each with the space after it, and completes.
     */
    public void echo() {
      for (String word : ("echo: " + prompt()).split("(?<= )")) {
        delta(word);
      }
      complete();
    }

    private void cancel() {
      synchronized (this) {
        if (ended) {
          return;
        }
        cancelled = true;
        end();
      }
      model.post(
          () -> listener.onError(new ModelException(ModelException.Kind.CANCELLED, "cancelled")));
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
