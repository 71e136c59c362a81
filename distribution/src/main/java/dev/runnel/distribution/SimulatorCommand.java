package dev.runnel.distribution;

import dev.runnel.simulator.SimulatedModelServer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    header = "The simulated model server (OpenAI and Anthropic wire formats).",
    name = "simulator",
    description = {
      "The simulated model server until stopped: OpenAI format at POST /v1/chat/completions,"
          + " Anthropic format at POST /v1/messages. Replies are deterministic per prompt;"
          + " faults are asked for per request (see docs/models.md). Prints its base URLs."
    })
final class SimulatorCommand implements Callable<Integer> {
  // Unset options are not passed on, so the simulator's own defaults apply.
  @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (127.0.0.1).")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "Port to listen on (8089; 0 picks a free one).")
  Integer port;

  @Option(names = "--ttft-ms", paramLabel = "MS", description = "Time to first token (200).")
  Integer timeToFirstTokenMs;

  @Option(names = "--tps", paramLabel = "N", description = "Tokens per second (50).")
  Integer tokensPerSecond;

  @Option(names = "--tokens", paramLabel = "N", description = "Reply length in tokens (40).")
  Integer tokens;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    SimulatedModelServer.main(Delegation.arguments(spec.commandLine()));
    return 0;
  }
}
