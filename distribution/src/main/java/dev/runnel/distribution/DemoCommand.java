package dev.runnel.distribution;

import dev.runnel.app.RunnelDemo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(
    header = "The embedded default: Kafka, the simulated model, Runnel and the gateway in one JVM.",
    name = "demo",
    description = {
      "The embedded default: starts a single-node Kafka, the simulated model, Runnel and the"
          + " gateway in this JVM, all on loopback, sends a few prompts and prints the replies as"
          + " they stream, then the chat page's address. Afterwards reads more prompts from"
          + " standard input as '<session> <prompt>'. Ctrl-C stops it."
    })
final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    RunnelDemo.main(new String[0]);
    return 0;
  }
}
