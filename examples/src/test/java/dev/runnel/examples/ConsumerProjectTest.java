package dev.runnel.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team's own project, outside Runnel's reactor, that declares only Runnel's core ({@code
 * runnel-topology}), its test kit and JUnit: it compiles a custom blocking-form action and tests it
 * with the kit. Runnel's artifacts are installed, as {@code mvn install} would, into a local
 * repository of the scratch build's own; every other artifact comes from the repository this build
 * uses (as a mirror of Maven Central), so the scratch build resolves exactly what a consumer's
 * build would download and nothing this reactor declares.
 */
class ConsumerProjectTest {
  private static final Pattern ARTIFACT = Pattern.compile("(runnel-[a-z-]+?)-(\\d.*)\\.(jar|pom)");
  private static final Pattern SUMMARY =
      Pattern.compile("Tests run: (\\d+), Failures: (\\d+), Errors: (\\d+), Skipped: (\\d+)");

  @TempDir Path scratch;

  @Test
  void aProjectDependingOnlyOnTheInstalledCoreAndTestKitCompilesAndTestsItsOwnAction()
      throws Exception {
    Path project = scratch.resolve("word-tally");
    copyTree(Path.of("src/test/resources/consumer-project"), project);
    fillIn(project.resolve("pom.xml"));
    Path localRepository = scratch.resolve("repository");
    install(Path.of(property("runnel.artifacts")), localRepository);
    Path settings = scratch.resolve("settings.xml");
    Files.writeString(
        settings,
        "<settings><mirrors><mirror><id>this-build</id><mirrorOf>external:*</mirrorOf><url>"
            + Path.of(property("outer.repository")).toUri()
            + "</url></mirror></mirrors></settings>");
    Path log = scratch.resolve("build.log");

    ProcessBuilder build =
        new ProcessBuilder(
                Path.of(property("maven.home"), "bin", "mvn").toString(),
                "-B",
                "--no-transfer-progress",
                "-s",
                settings.toString(),
                "-Dmaven.repo.local=" + localRepository,
                "test")
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    build.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process maven = build.start();
    boolean ended = maven.waitFor(5, TimeUnit.MINUTES);
    if (!ended) {
      maven.destroyForcibly();
    }
    String output = Files.readString(log);

    assertThat(ended).as("the scratch build ends within 5 minutes:%n%s", output).isTrue();
    assertThat(maven.exitValue()).as("the scratch build's exit code:%n%s", output).isZero();
    Matcher summary = SUMMARY.matcher(output);
    assertThat(summary.find()).as("a test summary in:%n%s", output).isTrue();
    assertThat(List.of(summary.group(1), summary.group(2), summary.group(3), summary.group(4)))
        .as("tests run, failures, errors, skipped")
        .containsExactly("3", "0", "0", "0");
  }

  /** Lays the reactor's artifacts out as {@code mvn install} would in a local repository. */
  private static void install(Path artifacts, Path localRepository) throws IOException {
    try (Stream<Path> files = Files.list(artifacts)) {
      for (Path file : files.toList()) {
        Matcher name = ARTIFACT.matcher(file.getFileName().toString());
        assertThat(name.matches()).as("a Runnel artifact: %s", file).isTrue();
        Path target =
            localRepository.resolve(
                Path.of(
                    "dev", "runnel", name.group(1), name.group(2), file.getFileName().toString()));
        Files.createDirectories(target.getParent());
        Files.copy(file, target);
      }
    }
  }

  private static void fillIn(Path pom) throws IOException {
    String text = Files.readString(pom);
    for (String key :
        List.of("runnel.version", "junit.version", "compiler-plugin.version", "surefire.version")) {
      text = text.replace("@" + key + "@", property(key));
    }
    assertThat(text).doesNotContain("@");
    Files.writeString(pom, text);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      paths.forEach(
          path -> {
            try {
              Files.copy(path, to.resolve(from.relativize(path).toString()));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
  }

  private static String property(String key) {
    String value = System.getProperty(key);
    assertThat(value).as("system property %s (set by the module's pom)", key).isNotBlank();
    return value;
  }
}
