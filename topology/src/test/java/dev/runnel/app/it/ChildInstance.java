package dev.runnel.app.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A Runnel instance in its own JVM ({@code java -cp <test classpath> RunnelApplication <file>}), so
 * a test can kill it with SIGKILL the way a crashed machine or an OOM killer would.
 */
final class ChildInstance implements AutoCloseable {
  private final Process process;
  private final Path log;

  private ChildInstance(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static ChildInstance start(Map<String, Object> settings, Path dir, String name)
      throws IOException {
    Path props = dir.resolve(name + ".properties");
    Properties properties = new Properties();
    settings.forEach((k, v) -> properties.setProperty(k, String.valueOf(v)));
    try (OutputStream out = Files.newOutputStream(props)) {
      properties.store(out, name);
    }
    Path log = dir.resolve(name + ".log");
    return new ChildInstance(
        javaProcess("dev.runnel.app.RunnelApplication", List.of(props.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start(),
        log);
  }

  /**
   * A {@code java} command on this JVM's classpath. C1 only and the serial collector: on a 2-core
   * machine the child's JIT would otherwise compete with the test JVM for a minute.
   */
  static ProcessBuilder javaProcess(String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Xmx384m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    // Settings come from the file only; the test environment must not override them.
    builder.environment().keySet().removeIf(k -> k.startsWith("RUNNEL_") || k.startsWith("KAFKA_"));
    return builder;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL on Linux: no shutdown hook, no commit, no leave-group. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** The child's output so far, for failure messages. */
  String output() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
