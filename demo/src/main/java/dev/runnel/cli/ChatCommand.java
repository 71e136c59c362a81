package dev.runnel.cli;

import dev.runnel.app.ChatModels;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.simulator.SimulatedModelServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code runnel chat}: streams one chat call to the terminal, to check an endpoint and its
 * credentials before running the topology. Deltas go to stdout as they arrive; the finish reason
 * and token usage (or the error and whether it is retriable) go to stderr. Exit code 0 on success,
 * 1 when the call failed, 2 for bad arguments or configuration. With provider {@code simulated} and
 * no base URL it starts the simulated model server in-process.
 *
 * <pre>
 * runnel chat [--provider openai|anthropic|simulated] [--base-url URL] [--model NAME]
 *             [--api-key-env VAR] [--api-key-file PATH] [--max-tokens N] [--system TEXT] PROMPT
 * </pre>
 */
public final class ChatCommand {
  private static final String USAGE =
      "usage: runnel chat [--provider openai|anthropic|simulated] [--base-url URL] [--model NAME]\n"
          + "                   [--api-key-env VAR] [--api-key-file PATH] [--max-tokens N]"
          + " [--system TEXT] PROMPT";

  private ChatCommand() {}

  public static void main(String[] args) {
    System.exit(
        run(
            args,
            new PrintStream(System.out, true, StandardCharsets.UTF_8),
            new PrintStream(System.err, true, StandardCharsets.UTF_8)));
  }

  /** Runs the command; returns its exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, Object> settings = new HashMap<>();
    List<String> prompt = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String key =
          switch (arg) {
            case "--provider" -> RunnelConfig.MODEL_PROVIDER_CONFIG;
            case "--base-url" -> RunnelConfig.MODEL_BASE_URL_CONFIG;
            case "--model" -> RunnelConfig.MODEL_DEFAULT_CONFIG;
            case "--api-key-env" -> RunnelConfig.MODEL_API_KEY_ENV_CONFIG;
            case "--api-key-file" -> RunnelConfig.MODEL_API_KEY_FILE_CONFIG;
            case "--max-tokens" -> RunnelConfig.MODEL_MAX_TOKENS_CONFIG;
            case "--system" -> RunnelConfig.MODEL_SYSTEM_PROMPT_CONFIG;
            default -> null;
          };
      if (key == null) {
        if (arg.startsWith("--")) {
          err.println("error: unknown option " + arg + "\n" + USAGE);
          return 2;
        }
        prompt.add(arg);
      } else if (i + 1 >= args.length) {
        err.println("error: " + arg + " needs a value\n" + USAGE);
        return 2;
      } else {
        settings.put(key, args[++i]);
      }
    }
    if (prompt.isEmpty()) {
      err.println("error: no prompt given\n" + USAGE);
      return 2;
    }
    SimulatedModelServer simulator = null;
    try {
      RunnelConfig config = new RunnelConfig(settings);
      if (config.modelProvider().equals(RunnelConfig.PROVIDER_SIMULATED)
          && config.modelBaseUrl().isEmpty()) {
        simulator = SimulatedModelServer.start();
        settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, simulator.openAiBaseUrl());
        err.println("(started the simulated model server at " + simulator.openAiBaseUrl() + ")");
        config = new RunnelConfig(settings);
      }
      return stream(config, String.join(" ", prompt), out, err);
    } catch (ConfigException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } finally {
      if (simulator != null) {
        simulator.close();
      }
    }
  }

  private static int stream(RunnelConfig config, String prompt, PrintStream out, PrintStream err) {
    List<ChatMessage> messages = new ArrayList<>();
    if (!config.modelSystemPrompt().isEmpty()) {
      messages.add(ChatMessage.system(config.modelSystemPrompt()));
    }
    messages.add(ChatMessage.user(prompt));
    String model = config.getString(RunnelConfig.MODEL_DEFAULT_CONFIG);
    CompletableFuture<ChatCompletion> done = new CompletableFuture<>();
    try (ChatModel client = ChatModels.create(config)) {
      client.stream(
          new ChatRequest(model, messages, config.modelMaxTokens()),
          new StreamListener() {
            @Override
            public void onDelta(String text) {
              out.print(text);
              out.flush();
            }

            @Override
            public void onComplete(ChatCompletion completion) {
              done.complete(completion);
            }

            @Override
            public void onError(ModelException error) {
              done.completeExceptionally(error);
            }
          });
      ChatCompletion completion = done.get();
      out.println();
      err.printf(
          "finish: %s, tokens: prompt %d, completion %d, total %d%n",
          completion.finishReason(),
          completion.usage().promptTokens(),
          completion.usage().completionTokens(),
          completion.usage().totalTokens());
      return 0;
    } catch (ExecutionException e) {
      out.println();
      if (e.getCause() instanceof ModelException m) {
        err.println(
            "error: "
                + m.kind()
                + (m.retriable() ? " (retriable" : " (not retriable")
                + m.retryAfter().map(d -> ", retry after " + d.toSeconds() + " s").orElse("")
                + "): "
                + m.getMessage());
      } else {
        err.println("error: " + e.getCause());
      }
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("error: interrupted");
      return 1;
    }
  }
}
