package dev.runnel.connect;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throw-away PostgreSQL server from the distribution's binaries ({@code apt-get install
 * postgresql} on Debian puts them under {@code /usr/lib/postgresql/<major>/bin}), in a temporary
 * directory, on a free loopback port, with trust authentication. {@code initdb} refuses to run as
 * root, so as root every server command runs as the {@code postgres} user the package creates.
 */
final class PostgresServer implements AutoCloseable {
  static final String USER = "runnel";
  private static final long COMMAND_TIMEOUT_SECONDS = 120;

  private final Path bin;
  private final Path dataDir;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresServer(Path bin, Path dataDir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dataDir = dataDir;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** Starts a server, or skips the calling test when PostgreSQL is not installed. */
  static PostgresServer startOrSkip() throws IOException, InterruptedException {
    Optional<Path> bin = findBinaries();
    Assumptions.assumeTrue(
        bin.isPresent(),
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them with"
            + " 'apt-get install -y --no-install-recommends postgresql' (.ci/run does)");
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("runnel-pg-");
    if (root) {
      UserPrincipal postgres =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    PostgresServer server = new PostgresServer(bin.get(), dir, port, root);
    server.run(
        "initdb",
        "-D",
        dir.resolve("data").toString(),
        "-U",
        USER,
        "--auth=trust",
        "--encoding=UTF8",
        "--no-sync");
    server.run(
        "pg_ctl",
        "-D",
        dir.resolve("data").toString(),
        "-l",
        dir.resolve("server.log").toString(),
        "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off",
        "-w",
        "-t",
        "60",
        "start");
    return server;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, "");
  }

  private static Optional<Path> findBinaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(
              b ->
                  Files.isExecutable(b.resolve("initdb"))
                      && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(Path::toString));
    }
  }

  private void run(String command, String... args) throws IOException, InterruptedException {
    List<String> line = new ArrayList<>();
    if (asPostgresUser) {
      line.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    line.add(bin.resolve(command).toString());
    line.addAll(List.of(args));
    Path output = Files.createTempFile("runnel-pg-cmd-", ".log");
    try {
      Process process =
          new ProcessBuilder(line)
              .directory(new java.io.File(System.getProperty("java.io.tmpdir")))
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(command + " did not finish in " + COMMAND_TIMEOUT_SECONDS + " s");
      }
      if (process.exitValue() != 0) {
        throw new IOException(
            String.join(" ", line)
                + " exited with "
                + process.exitValue()
                + ":\n"
                + Files.readString(output));
      }
    } finally {
      Files.deleteIfExists(output);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      run("pg_ctl", "-D", dataDir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while stopping PostgreSQL", e);
    } finally {
      try (Stream<Path> files = Files.walk(dataDir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
