package dev.runnel.distribution;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code runnel} launcher: one command with a subcommand per role. Each subcommand parses and
 * documents its arguments, then hands them to the role's existing main, so the launcher holds no
 * role's logic and {@code java -cp ... <main class>} keeps working as before.
 */
@Command(
    name = "runnel",
    description = "Streaming LLM actions on Apache Kafka Streams. Every role runs from here.",
    subcommands = {
      DemoCommand.class,
      TopologyCommand.class,
      GatewayCommand.class,
      SimulatorCommand.class,
      ChatLauncherCommand.class
    },
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:runtime failure (the model call failed, Kafka Streams stopped in error, ...)",
      "2:bad usage or bad configuration (the message names the option or setting)"
    },
    footer = {
      "",
      "Run 'runnel COMMAND --help' for a command's options. JAVA_HOME selects the JVM,",
      "JAVA_OPTS passes options to it."
    })
public final class Runnel implements Runnable {
  private static final int USAGE = 2;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      scope = ScopeType.INHERIT,
      description = "Show this help and exit.")
  boolean help;

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The launcher's command line, with its output and error mapping; {@code main} executes it. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Runnel());
    // Replies and help mix Chinese and emoji; the platform's default encoding may not be UTF-8.
    cli.setOut(new PrintWriter(utf8(System.out), true));
    cli.setErr(new PrintWriter(utf8(System.err), true));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof ConfigException) {
            // The message names the setting and its value (Kafka masks passwords).
            commandLine.getErr().println("error: invalid configuration: " + e.getMessage());
            return USAGE;
          }
          throw e;
        });
    return cli;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing command");
  }

  private static PrintStream utf8(PrintStream stream) {
    return new PrintStream(stream, true, StandardCharsets.UTF_8);
  }
}
