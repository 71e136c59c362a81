package dev.runnel.distribution;

import dev.runnel.cli.ChatCommand;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    header = "One streaming call to a model endpoint, to check it.",
    name = "chat",
    description = {
      "One streaming call to a model endpoint, to check it before running the topology. Deltas"
          + " print to standard output as they arrive; the finish reason and token usage, or the"
          + " error kind, whether it is retriable and the server's Retry-After, go to standard"
          + " error. With the simulated provider and no --base-url it starts the simulated"
          + " model in-process.",
      "Exit code 1 when the call failed, 2 on bad arguments or configuration."
    })
final class ChatLauncherCommand implements Callable<Integer> {
  // Unset options are not passed on, so RunnelConfig's defaults apply.
  @Option(
      names = "--provider",
      paramLabel = "PROVIDER",
      description = "openai, anthropic or simulated (simulated).")
  String provider;

  @Option(
      names = "--base-url",
      paramLabel = "URL",
      description =
          "OpenAI format: up to the version path (https://api.openai.com/v1); Anthropic:"
              + " https://api.anthropic.com (the default).")
  String baseUrl;

  @Option(names = "--model", paramLabel = "NAME", description = "The model name sent (runnel-sim).")
  String model;

  @Option(
      names = "--api-key-env",
      paramLabel = "VAR",
      description = "Environment variable holding the key (RUNNEL_MODEL_API_KEY).")
  String apiKeyEnv;

  @Option(
      names = "--api-key-file",
      paramLabel = "PATH",
      description = "File holding the key; wins over the variable.")
  Path apiKeyFile;

  @Option(
      names = "--max-tokens",
      paramLabel = "N",
      description = "Reply token limit (0: the model's; Anthropic then gets 1024).")
  Integer maxTokens;

  @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt.")
  String system;

  @Parameters(
      arity = "1..*",
      paramLabel = "PROMPT",
      description = "The prompt; several words are joined with spaces.")
  List<String> prompt;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    ChatCommand.main(Delegation.arguments(spec.commandLine()));
    return 0;
  }
}
