package dev.runnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.simulator.SimulatedReplies;
import dev.runnel.simulator.SimulatorSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code runnel chat} prints the reply, the finish and usage, and fails clearly. */
@Timeout(60)
class ChatCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return ChatCommand.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void withNoBaseUrlItStartsTheSimulatorAndStreamsTheReply() {
    int code = run("Hello", "world");
    assertThat(code).as(stderr()).isZero();
    assertThat(stdout().strip())
        .isEqualTo(
            SimulatedReplies.reply("Hello world", SimulatorSettings.DEFAULTS.replyTokens())
                .strip());
    assertThat(stderr()).contains("finish: STOP").contains("completion 40");
  }

  @Test
  void againstAnAnthropicEndpoint() {
    try (SimulatedModelServer server =
        SimulatedModelServer.start(
            SimulatorSettings.DEFAULTS.withTimeToFirstToken(Duration.ofMillis(1)))) {
      int code =
          run(
              "--provider",
              "anthropic",
              "--base-url",
              server.anthropicBaseUrl(),
              "--model",
              "claude-test",
              "--max-tokens",
              "5",
              "Hi");
      assertThat(code).as(stderr()).isZero();
      assertThat(stdout().strip()).isEqualTo(SimulatedReplies.reply("Hi", 5).strip());
      assertThat(stderr()).contains("finish: LENGTH");
      assertThat(server.requests().get(0).body()).contains("claude-test");
    }
  }

  @Test
  void aFailedCallExitsOneAndSaysWhy() {
    try (SimulatedModelServer server = SimulatedModelServer.start()) {
      int code =
          run("--base-url", server.openAiBaseUrl(), "[[sim fault=rate_limit retry_after=3]] hi");
      assertThat(code).isEqualTo(1);
      assertThat(stderr()).contains("RATE_LIMITED").contains("retriable").contains("3 s");
    }
  }

  @Test
  void badArgumentsExitTwo() {
    assertThat(run()).isEqualTo(2);
    assertThat(stderr()).contains("no prompt");
    assertThat(run("--provider", "gemini", "hi")).isEqualTo(2);
    assertThat(stderr()).contains("gemini");
    assertThat(run("--bogus", "hi")).isEqualTo(2);
    assertThat(stderr()).contains("--bogus");
  }
}
