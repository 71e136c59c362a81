package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each Dockerfile's build stage without Docker: exactly the files its {@code COPY} lines copy go
 * into an empty folder (honouring {@code .dockerignore}), its {@code RUN} commands run there (Maven
 * offline, against the warm local repository), and everything the final stage copies from the build
 * stage must exist, holding the classes that the image's command and docker-compose.yml name; a
 * copied distribution folder must run {@code bin/runnel --help} and list the roles compose runs.
 */
@Tag("integration")
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class DockerBuildStageTest {
  private static final Pattern RUNNEL_CLASS =
      Pattern.compile("dev\\.runnel(\\.[a-z]\\w*)+\\.[A-Z]\\w*");

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile", "connectors/Dockerfile"})
  void buildStageSucceedsAndProducesWhatTheImageCopies(String dockerfile, @TempDir Path tmp)
      throws Exception {
    Path root = RepoCommands.root();
    Stages stages = Stages.parse(Files.readAllLines(root.resolve(dockerfile)));
    Path workdir = tmp.resolve("build");
    Files.createDirectories(workdir);
    Predicate<Path> ignored = dockerignore(root);

    for (List<String> copy : stages.buildCopies) {
      String dest = copy.get(copy.size() - 1);
      Path destPath = inWorkdir(stages.workdir, dest, workdir);
      for (String src : copy.subList(0, copy.size() - 1)) {
        Path source = root.resolve(src);
        assertThat(source).as("%s copies %s", dockerfile, src).exists();
        if (Files.isDirectory(source)) {
          RepoCommands.copy(root, source, destPath, ignored);
        } else {
          boolean intoFolder = dest.endsWith("/") || dest.equals(".");
          Path target = intoFolder ? destPath.resolve(source.getFileName().toString()) : destPath;
          RepoCommands.copy(root, source, target, ignored);
        }
      }
    }
    assertThat(stages.runs).as("%s runs a build", dockerfile).isNotEmpty();
    int n = 0;
    for (String run : stages.runs) {
      RepoCommands.runToSuccess(
          run, workdir, tmp.resolve("run-" + n++ + ".log"), Duration.ofMinutes(20));
    }

    List<Path> jars = new ArrayList<>();
    for (String src : stages.finalCopiesFromBuild) {
      List<Path> found = matching(workdir, relativeToWorkdir(stages.workdir, src));
      assertThat(found)
          .as("%s's final stage copies %s from the build stage", dockerfile, src)
          .isNotEmpty();
      for (Path f : found) {
        if (Files.isExecutable(f.resolve("bin/runnel"))) {
          // The distribution: the image's entry point runs from the layout the stage produced.
          Path help = tmp.resolve("runnel-help.log");
          RepoCommands.runToSuccess("bin/runnel --help", f, help, Duration.ofMinutes(2));
          assertThat(Files.readString(help))
              .as("bin/runnel --help from %s", src)
              .contains("topology", "gateway", "simulator");
          try (Stream<Path> files = Files.list(f.resolve("lib"))) {
            jars.addAll(files.filter(p -> p.toString().endsWith(".jar")).toList());
          }
          assertThat(jars).as("jars in %s/lib", src).isNotEmpty();
        } else if (Files.isDirectory(f)) {
          try (Stream<Path> files = Files.list(f)) {
            List<Path> inside = files.filter(p -> p.toString().endsWith(".jar")).toList();
            assertThat(inside).as("jars in %s", src).isNotEmpty();
            jars.addAll(inside);
          }
        } else {
          jars.add(f);
        }
      }
    }

    Set<String> classes = new LinkedHashSet<>(stages.commandClasses);
    classes.addAll(classesNamedByComposeServicesOf(root, dockerfile));
    for (String className : classes) {
      assertThat(inJars(jars, className))
          .as(
              "%s (named by %s or docker-compose.yml) is in the image's jars",
              className, dockerfile)
          .isTrue();
    }
  }

  @Test
  void composeFileIsValidAndRunsTheGateway(@TempDir Path tmp) throws Exception {
    assumeTrue(
        onPath("docker-compose"),
        "docker-compose not installed (apt-get install -y docker-compose): compose file not checked");
    Path root = RepoCommands.root();
    RepoCommands.runToSuccess(
        "docker-compose config -q", root, tmp.resolve("config.log"), Duration.ofMinutes(2));
    Path services = tmp.resolve("services.log");
    RepoCommands.runToSuccess(
        "docker-compose config --services", root, services, Duration.ofMinutes(2));
    assertThat(Files.readAllLines(services)).contains("gateway", "runnel", "simulator", "connect");
  }

  private static boolean onPath(String command) {
    return Arrays.stream(System.getenv("PATH").split(":"))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }

  /**
   * The main classes and plugin classes that compose's services built from this Dockerfile name.
   */
  private static Set<String> classesNamedByComposeServicesOf(Path root, String dockerfile)
      throws IOException {
    Set<String> names = new LinkedHashSet<>();
    String compose = Files.readString(root.resolve("docker-compose.yml"));
    String services = compose.substring(compose.indexOf("\nservices:\n"));
    // Services are the two-space-indented keys; each block runs to the next one.
    for (String block : services.split("\n(?=  [a-z][\\w-]*:\\n)")) {
      boolean fromThis =
          dockerfile.equals("Dockerfile")
              ? block.contains("\n    build: .\n")
              : block.contains("dockerfile: " + dockerfile + "\n");
      if (fromThis) {
        Matcher m = RUNNEL_CLASS.matcher(block);
        while (m.find()) {
          names.add(m.group());
        }
      }
    }
    return names;
  }

  private static boolean inJars(List<Path> jars, String className) throws IOException {
    String entry = className.replace('.', '/') + ".class";
    for (Path jar : jars) {
      try (JarFile file = new JarFile(jar.toFile())) {
        if (file.getEntry(entry) != null) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * .dockerignore's patterns as used here: {@code **}{@code /name/} anywhere, else from the root.
   */
  private static Predicate<Path> dockerignore(Path root) throws IOException {
    Path file = root.resolve(".dockerignore");
    List<String> patterns =
        Files.exists(file)
            ? Files.readAllLines(file).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .map(l -> l.endsWith("/") ? l.substring(0, l.length() - 1) : l)
                .toList()
            : List.of();
    return relative -> {
      for (String p : patterns) {
        if (p.startsWith("**/")) {
          if (relative.getFileName() != null
              && relative.getFileName().toString().equals(p.substring(3))) {
            return true;
          }
        } else if (relative.toString().equals(p)) {
          return true;
        }
      }
      return false;
    };
  }

  private static Path inWorkdir(String workdir, String dest, Path local) {
    String path = dest.startsWith("/") ? relativeToWorkdir(workdir, dest) : dest;
    return local.resolve(path).normalize();
  }

  private static String relativeToWorkdir(String workdir, String absolute) {
    String prefix = workdir.endsWith("/") ? workdir : workdir + "/";
    assertThat(absolute).as("a build-stage path under WORKDIR %s", workdir).startsWith(prefix);
    return absolute.substring(prefix.length());
  }

  /** The paths a COPY source names: a plain path, or a glob in its last segment. */
  private static List<Path> matching(Path local, String relative) throws IOException {
    String trimmed =
        relative.endsWith("/") ? relative.substring(0, relative.length() - 1) : relative;
    Path path = local.resolve(trimmed);
    String last = path.getFileName().toString();
    if (!last.contains("*") && !last.contains("?")) {
      return Files.exists(path) ? List.of(path) : List.of();
    }
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + last);
    if (!Files.isDirectory(path.getParent())) {
      return List.of();
    }
    try (Stream<Path> siblings = Files.list(path.getParent())) {
      return siblings.filter(p -> matcher.matches(p.getFileName())).toList();
    }
  }

  /** The parts of a multi-stage Dockerfile this test needs. */
  private static final class Stages {
    String workdir = "/";
    final List<List<String>> buildCopies = new ArrayList<>();
    final List<String> runs = new ArrayList<>();
    final List<String> finalCopiesFromBuild = new ArrayList<>();
    final List<String> commandClasses = new ArrayList<>();

    static Stages parse(List<String> lines) {
      Stages s = new Stages();
      List<String> instructions = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : lines) {
        String trimmed = line.trim();
        if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
          continue;
        }
        if (trimmed.endsWith("\\")) {
          current.append(trimmed, 0, trimmed.length() - 1).append(' ');
          continue;
        }
        current.append(trimmed);
        instructions.add(current.toString().trim());
        current.setLength(0);
      }
      int stage = -1;
      String buildStage = null;
      for (String instruction : instructions) {
        String[] parts = instruction.split("\\s+", 2);
        String keyword = parts[0].toUpperCase(java.util.Locale.ROOT);
        String args = parts.length > 1 ? parts[1] : "";
        switch (keyword) {
          case "FROM" -> {
            stage++;
            String[] from = args.split("\\s+");
            if (stage == 0) {
              assertThat(from).as("the build stage is named: %s", instruction).hasSize(3);
              buildStage = from[2];
            }
          }
          case "WORKDIR" -> {
            if (stage == 0) {
              s.workdir = args;
            }
          }
          case "COPY" -> {
            List<String> words = List.of(args.split("\\s+"));
            if (stage == 0) {
              assertThat(words.get(0)).as("a plain COPY in the build stage").doesNotStartWith("--");
              s.buildCopies.add(words);
            } else if (words.get(0).equals("--from=" + buildStage)) {
              s.finalCopiesFromBuild.addAll(words.subList(1, words.size() - 1));
            }
          }
          case "RUN" -> {
            if (stage == 0) {
              s.runs.add(args);
            }
          }
          case "CMD" -> {
            Matcher m = RUNNEL_CLASS.matcher(args);
            while (m.find()) {
              s.commandClasses.add(m.group());
            }
          }
          default -> {}
        }
      }
      return s;
    }
  }
}
