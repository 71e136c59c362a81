package dev.runnel.distribution;

import dev.runnel.gateway.GatewayMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    header = "The HTTP gateway and chat page against a real cluster.",
    name = "gateway",
    description = {
      "The HTTP front door (prompts, live chunks as server-sent events, session state, the"
          + " OpenAI- and Anthropic-compatible endpoints, the chat page) until stopped.",
      "Settings come from CONFIG_FILE, then from the environment: RUNNEL_GATEWAY_PORT sets"
          + " runnel.gateway.port, KAFKA_BOOTSTRAP_SERVERS sets bootstrap.servers (default"
          + " 127.0.0.1:9092)."
    })
final class GatewayCommand implements Callable<Integer> {
  @Parameters(
      arity = "0..1",
      paramLabel = "CONFIG_FILE",
      description = "A properties file with Kafka and Runnel settings.")
  Path config;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Delegation.requireReadable(spec.commandLine(), config);
    GatewayMain.main(Delegation.arguments(spec.commandLine()));
    return 0;
  }
}
