package dev.runnel.distribution;

import dev.runnel.app.DefaultMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    header = "One Runnel instance against a real cluster.",
    name = "topology",
    description = {
      "One Runnel instance against a real cluster: checks or creates the topics and runs the"
          + " topology under exactly-once until stopped (SIGTERM or Ctrl-C). Instances with the"
          + " same application.id share the work.",
      "Settings come from CONFIG_FILE, else the file named by RUNNEL_CONFIG_FILE, then from"
          + " RUNNEL_<KEY> and KAFKA_<KEY> environment variables (see config/runnel.properties)."
          + " With the default provider and no runnel.model.base.url it starts the simulated"
          + " model in-process."
    })
final class TopologyCommand implements Callable<Integer> {
  @Parameters(
      arity = "0..1",
      paramLabel = "CONFIG_FILE",
      description = "A properties file with Kafka and Runnel settings.")
  Path config;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Delegation.requireReadable(spec.commandLine(), config);
    DefaultMain.main(Delegation.arguments(spec.commandLine()));
    return 0;
  }
}
