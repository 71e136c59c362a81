package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the scripts in src/test/node, which use the official npm clients, unmodified. */
final class NodeScripts {
  static final Path DIR = Path.of("src/test/node");

  private NodeScripts() {}

  /** One run: its exit code and everything it printed. */
  record Result(int exit, String output) {
    /** The last line printed, as JSON (each script prints its findings last). */
    JsonNode lastLine() throws IOException {
      String last = output.strip().lines().reduce((a, b) -> b).orElse("");
      return new ObjectMapper().readTree(last);
    }
  }

  /** Skips the test without node and npm; installs the locked packages when they are missing. */
  static void requireInstalled() throws IOException, InterruptedException {
    assumeTrue(
        onPath("node") && onPath("npm"),
        "node and npm are not on PATH; install them (apt-get install nodejs npm) to run this test");
    if (!Files.isDirectory(DIR.resolve("node_modules/openai"))
        || !Files.isDirectory(DIR.resolve("node_modules/@anthropic-ai/sdk"))) {
      int exit = run(List.of("npm", "ci", "--no-audit", "--no-fund"), Duration.ofMinutes(3)).exit;
      assertThat(exit).as("npm ci in " + DIR).isZero();
    }
  }

  static Result run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    File log = File.createTempFile("runnel-node-", ".log");
    log.deleteOnExit();
    Process process =
        new ProcessBuilder(command)
            .directory(DIR.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log)
            .start();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      return new Result(-1, "timed out: " + Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }
    return new Result(process.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
