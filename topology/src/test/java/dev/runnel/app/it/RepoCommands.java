package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs the repository's documented commands (README, Dockerfiles) in a shell, the way a user types
 * them, on the JDK that runs the tests.
 */
final class RepoCommands {
  private RepoCommands() {}

  /** The repository root: the parent of the module the tests run in. */
  static Path root() {
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    assertThat(root.resolve("pom.xml")).as("repository root of the topology module").exists();
    return root;
  }

  /**
   * Copies {@code from} (a file, or a folder with everything in it) to {@code to}, leaving out the
   * paths {@code skip} accepts (relative to {@code base}) and, for a folder, all it holds.
   */
  static void copy(Path base, Path from, Path to, Predicate<Path> skip) {
    try {
      Files.walkFileTree(
          from,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              if (skip.test(base.relativize(dir))) {
                return FileVisitResult.SKIP_SUBTREE;
              }
              Files.createDirectories(to.resolve(from.relativize(dir).toString()));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              if (!skip.test(base.relativize(file))) {
                Path target = to.resolve(from.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
              }
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code command} in {@code sh -c} in {@code dir}, with this JVM's JDK as {@code java} and as
   * Maven's JDK, and no {@code RUNNEL_}/{@code KAFKA_} variables from the test environment.
   */
  static ProcessBuilder shell(String command, Path dir) {
    ProcessBuilder builder = new ProcessBuilder("sh", "-c", command).directory(dir.toFile());
    Path javaHome = Path.of(System.getProperty("java.home"));
    builder.environment().keySet().removeIf(k -> k.startsWith("RUNNEL_") || k.startsWith("KAFKA_"));
    builder.environment().put("JAVA_HOME", javaHome.toString());
    builder.environment().put("PATH", javaHome.resolve("bin") + ":" + System.getenv("PATH"));
    return builder;
  }

  /** Runs {@code command} to its end and asserts it succeeded; its output goes to {@code log}. */
  static void runToSuccess(String command, Path dir, Path log, Duration timeout)
      throws IOException, InterruptedException {
    Process process =
        shell(command, dir).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(ended).as(() -> "`" + command + "` still running after " + timeout).isTrue();
      assertThat(process.exitValue())
          .as(() -> "exit code of `" + command + "` in " + dir + ", output:\n" + read(log))
          .isZero();
    } finally {
      process.destroyForcibly();
    }
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }
}
