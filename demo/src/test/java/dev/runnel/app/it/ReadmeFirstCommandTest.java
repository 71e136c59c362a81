package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's first command runs {@code dev.runnel.app.RunnelDemo} with no configuration; here it
 * runs in a child JVM on the built classpath, as {@code mvn exec:java} would run it.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReadmeFirstCommandTest {
  // A line of reply text, as opposed to the "> [alice] ..." echo of a sent prompt and to the
  // "[alice] [STOP, 40 tokens]" end marker.
  private static final Pattern STREAMED = Pattern.compile("(?m)^\\[(alice|bob)\\] (?!\\[)\\S");

  @Test
  void printsStreamedRepliesThenSessionStatesAndTakesMorePrompts() throws Exception {
    Process demo =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx384m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.runnel.app.RunnelDemo")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    StringBuffer out = new StringBuffer();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                int c;
                while ((c = in.read()) != -1) {
                  out.append((char) c);
                }
              } catch (java.io.IOException e) {
                out.append("\n(read failed: ").append(e).append(')');
              }
            });
    reader.setDaemon(true);
    reader.start();
    try {
      await()
          .atMost(Duration.ofMinutes(1))
          .failFast(() -> assertThat(demo.isAlive()).as(() -> "demo exited:\n" + out).isTrue())
          .until(() -> STREAMED.matcher(out).find());

      await()
          .atMost(Duration.ofMinutes(1))
          .until(() -> out.toString().contains("Type a prompt as `<session> <prompt>`"));
      String shown = out.toString();
      assertThat(shown).contains("Final session states").contains("session alice: version 2");
      assertThat(shown).contains("session bob: version 2");

      try (OutputStream stdin = demo.getOutputStream()) {
        stdin.write("carol Hello from the test\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> Pattern.compile("(?m)^\\[carol\\] (?!\\[)\\S").matcher(out).find());
      }
    } finally {
      // SIGTERM, like Ctrl-C's SIGINT, runs the shutdown hook. Through the handle, because
      // Process.destroy() would also close our end of the demo's output.
      demo.toHandle().destroy();
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo stops on SIGTERM").isTrue();
      reader.join(5_000);
    }
    assertThat(out.toString()).contains("Runnel demo stopped.");
  }
}
