package dev.runnel.distribution;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/** Turns what picocli parsed back into the arguments a role's existing main reads. */
final class Delegation {
  private Delegation() {}

  /**
   * The options as {@code --name value} in their longest spelling, then the positional values.
   * picocli also accepts {@code --name=value} and short names, which the mains do not.
   */
  static String[] arguments(CommandLine command) {
    ParseResult parsed = command.getParseResult();
    List<String> args = new ArrayList<>();
    for (OptionSpec option : parsed.matchedOptions()) {
      for (String value : option.stringValues()) {
        args.add(option.longestName());
        args.add(value);
      }
    }
    for (PositionalParamSpec positional : parsed.matchedPositionals()) {
      args.addAll(positional.stringValues());
    }
    return args.toArray(String[]::new);
  }

  /** Fails as bad usage (exit code 2) unless {@code file} is absent or a readable file. */
  static void requireReadable(CommandLine command, Path file) {
    if (file != null && !(Files.isRegularFile(file) && Files.isReadable(file))) {
      throw new ParameterException(
          command,
          "CONFIG_FILE "
              + file
              + " is not a readable file (working directory: "
              + Path.of("").toAbsolutePath()
              + ")");
    }
  }
}
