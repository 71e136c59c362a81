package dev.runnel.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runnel.simulator.SimulatedReplies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code bin/runnel} from the folder {@code mvn package} assembled, as a user would, each
 * command in its own process; and checks what the tarball holds.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DistributionTest {
  private static final Path FOLDER = Path.of(System.getProperty("runnel.distribution.folder"));
  private static final Path TARBALL = Path.of(System.getProperty("runnel.distribution.tarball"));
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern BASE_URL =
      Pattern.compile("OpenAI-compatible base URL: (http://\\S+/v1)");

  @TempDir Path temp;

  @Test
  void helpListsEveryCommandAndTheExitCodes() throws Exception {
    Result help = runnel("--help");

    assertThat(help.exit()).isZero();
    assertThat(help.out())
        .contains("Usage: runnel", "demo", "topology", "gateway", "simulator", "chat")
        .contains("Exit codes:", "2   bad usage or bad configuration");
  }

  @Test
  void chatHelpShowsTheChatOptions() throws Exception {
    Result help = runnel("chat", "--help");

    assertThat(help.exit()).isZero();
    assertThat(help.out())
        .contains("Usage: runnel chat", "--provider", "--base-url", "--model", "PROMPT...");
  }

  @Test
  void badUsageExitsWithTwoAndSaysWhatIsWrong() throws Exception {
    Result none = runnel();
    Result unknown = runnel("nosuch");
    Result noPrompt = runnel("chat", "--provider", "openai");
    Result missingFile = runnel("topology", "no-such.properties");

    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("Missing command", "Usage: runnel");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("nosuch");
    assertThat(noPrompt.exit()).isEqualTo(2);
    assertThat(noPrompt.err()).contains("PROMPT");
    assertThat(missingFile.exit()).isEqualTo(2);
    assertThat(missingFile.err()).contains("no-such.properties is not a readable file");
  }

  @Test
  void chatStreamsTheSimulatorsReplyAndFailsWithOneWhenTheEndpointIsGone() throws Exception {
    Path simOut = temp.resolve("simulator.out");
    Process simulator =
        new ProcessBuilder(
                launcher(), "simulator", "--port", "0", "--tokens", "12", "--ttft-ms", "5")
            .redirectOutput(simOut.toFile())
            .redirectError(temp.resolve("simulator.err").toFile())
            .start();
    String baseUrl;
    try {
      baseUrl =
          await()
              .atMost(COMMAND_TIMEOUT)
              .until(() -> baseUrl(simOut), url -> url != null || !simulator.isAlive());
      assertThat(baseUrl).as("simulator stdout: %s", Files.readString(simOut)).isNotNull();

      Result chat = runnel("chat", "--provider", "openai", "--base-url", baseUrl, "Say", "hi");

      assertThat(chat.exit()).as(chat.err()).isZero();
      assertThat(chat.out()).isEqualTo(SimulatedReplies.reply("Say hi", 12) + "\n");
      assertThat(chat.err()).contains("finish: STOP", "completion 12");
    } finally {
      simulator.destroy();
      assertThat(simulator.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    Result gone = runnel("chat", "--provider", "openai", "--base-url", baseUrl, "Say hi");

    assertThat(gone.exit()).isEqualTo(1);
    assertThat(gone.err()).contains("error: ");
  }

  @Test
  void tarballHoldsTheLauncherLibrariesAndExampleConfig() throws Exception {
    String base = FOLDER.getFileName().toString();
    Process tar =
        new ProcessBuilder("tar", "-tvzf", TARBALL.toString())
            .redirectErrorStream(true)
            .redirectOutput(temp.resolve("tar.out").toFile())
            .start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).isZero();
    List<String> entries = Files.readAllLines(temp.resolve("tar.out"));

    assertThat(entries)
        .anyMatch(e -> e.startsWith("-rwxr-xr-x") && e.endsWith(" " + base + "/bin/runnel"))
        .anyMatch(e -> e.endsWith(" " + base + "/config/runnel.properties"))
        .anyMatch(e -> e.matches(".* " + base + "/lib/runnel-topology-.*\\.jar"))
        .anyMatch(e -> e.matches(".* " + base + "/lib/runnel-gateway-.*\\.jar"))
        .anyMatch(e -> e.matches(".* " + base + "/lib/picocli-.*\\.jar"));
  }

  private static String baseUrl(Path simOut) throws IOException {
    Matcher m = BASE_URL.matcher(Files.readString(simOut, StandardCharsets.UTF_8));
    return m.find() ? m.group(1) : null;
  }

  private static String launcher() {
    return FOLDER.resolve("bin/runnel").toString();
  }

  private Result runnel(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(launcher()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(temp, "out", ".txt");
    Path err = Files.createTempFile(temp, "err", ".txt");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not end");
    }
    return new Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private record Result(int exit, String out, String err) {}
}
