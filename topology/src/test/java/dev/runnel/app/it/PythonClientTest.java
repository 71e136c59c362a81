package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.topics.Topics;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python example of {@code examples/python/} against a real broker: a JSON prompt written with
 * librdkafka is answered, and the token consumer, decoding Avro chunks, prints the final text.
 */
@Tag("integration")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PythonClientTest {
  // Debian's interpreter: a python3 earlier on PATH (pyenv, a virtualenv) lacks Debian's packages.
  private static final String PYTHON = "/usr/bin/python3";
  private static final Path EXAMPLES = Path.of("..", "examples", "python");

  @TempDir Path work;

  @Test
  void pythonProducerAndTokenConsumerTalkToRunnel(TestInfo info) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of(PYTHON)),
        PYTHON + " is missing: install Debian's python3-confluent-kafka and python3-avro");
    assumeTrue(
        run(List.of(PYTHON, "-c", "import confluent_kafka, avro.io"), Duration.ofSeconds(30)) == 0,
        PYTHON
            + " cannot import confluent_kafka and avro: apt-get install -y"
            + " python3-confluent-kafka python3-avro");
    try (ItEnvironment env = ItEnvironment.start()) {
      Map<String, Object> settings =
          env.settings(
              ItEnvironment.uniqueId(info), work.resolve("state"), RunnelConfig.LANE_IMMEDIATE);
      Topics topics = Topics.from(new RunnelConfig(settings));
      try (Runnel app = ItEnvironment.startInstance(settings);
          TopicFollower<SessionState> states = env.sessions(topics)) {
        env.awaitTopics(topics, () -> true, () -> "");
        File replyOut = work.resolve("reply.out").toFile();
        File replyErr = work.resolve("reply.err").toFile();
        Process consumer =
            new ProcessBuilder(
                    python(
                        "stream_reply.py",
                        env,
                        "--topic",
                        topics.chunks().name(),
                        "--session",
                        "py-session",
                        "--request-id",
                        "py-1",
                        "--timeout",
                        "90"))
                .redirectOutput(replyOut)
                .redirectError(replyErr)
                .start();
        try {
          await()
              .atMost(Duration.ofSeconds(60))
              .failFast(() -> assertThat(consumer.isAlive()).as(() -> read(replyErr)).isTrue())
              .until(() -> read(replyErr).contains("listening"));

          List<String> producer =
              python(
                  "send_prompt.py",
                  env,
                  "--topic",
                  topics.prompts().name(),
                  "--session",
                  "py-session",
                  "--request-id",
                  "py-1",
                  "Hello from Python, 你好");
          assertThat(run(producer, Duration.ofSeconds(60))).as("send_prompt.py exit code").isZero();
          assertThat(consumer.waitFor(100, TimeUnit.SECONDS)).as("stream_reply.py ended").isTrue();
          assertThat(consumer.exitValue()).as(() -> read(replyErr)).isZero();
        } finally {
          consumer.destroyForcibly();
        }

        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> states.values().stream().anyMatch(s -> "py-1".equals(s.getLastRequestId())));
        SessionState state =
            states.values().stream()
                .filter(s -> "py-1".equals(s.getLastRequestId()))
                .findFirst()
                .orElseThrow();
        List<Message> messages = state.getMessages();
        assertThat(messages)
            .extracting(Message::getRole)
            .containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(messages.get(0).getContent()).isEqualTo("Hello from Python, 你好");
        assertThat(read(replyOut))
            .as("the text the token consumer printed is the final")
            .isEqualTo(messages.get(1).getContent() + "\n");
        assertThat(app.streams().state().isRunningOrRebalancing()).isTrue();
      }
    }
  }

  private static List<String> python(String script, ItEnvironment env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(PYTHON);
    command.add(EXAMPLES.resolve(script).toString());
    command.add("--bootstrap-servers");
    command.add(env.kafka.bootstrapServers());
    command.addAll(List.of(args));
    return command;
  }

  private static int run(List<String> command, Duration limit) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish within " + limit);
    }
    return process.exitValue();
  }

  private static String read(File file) {
    try {
      return Files.readString(file.toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
