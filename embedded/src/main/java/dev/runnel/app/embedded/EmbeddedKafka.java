package dev.runnel.app.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A single-node Kafka (KRaft, combined broker and controller) inside this JVM, on loopback, with
 * its data in a temporary directory deleted on {@link #close()}. For the embedded default and the
 * integration tests; it keeps one replica of everything, so it is no place for data you keep.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final String bootstrapServers;

  private EmbeddedKafka(KafkaRaftServer server, Path dataDir, String bootstrapServers) {
    this.server = server;
    this.dataDir = dataDir;
    this.bootstrapServers = bootstrapServers;
  }

  /** Starts a broker with the defaults; returns once it accepts requests. */
  public static EmbeddedKafka start() {
    return start(Map.of());
  }

  /**
   * Starts a broker; returns once it accepts requests.
   *
   * @param overrides broker settings that replace the defaults (e.g. {@code
   *     transaction.max.timeout.ms})
   */
  public static EmbeddedKafka start(Map<String, String> overrides) {
    Path dataDir;
    try {
      dataDir = Files.createTempDirectory("runnel-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the embedded broker's data directory", e);
    }
    try {
      int brokerPort = freePort();
      int controllerPort = freePort();
      Properties props = brokerProperties(dataDir, brokerPort, controllerPort);
      props.putAll(overrides);
      format(dataDir, props);
      KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
      server.startup();
      String bootstrap = "127.0.0.1:" + brokerPort;
      EmbeddedKafka kafka = new EmbeddedKafka(server, dataDir, bootstrap);
      try {
        kafka.awaitReady();
      } catch (RuntimeException e) {
        kafka.close();
        throw e;
      }
      return kafka;
    } catch (RuntimeException e) {
      deleteRecursively(dataDir);
      throw e;
    }
  }

  /** The {@code bootstrap.servers} value clients connect with. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  private static Properties brokerProperties(Path dataDir, int brokerPort, int controllerPort) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", dataDir.resolve("logs").toString());
    props.put("metadata.log.dir", dataDir.resolve("metadata").toString());
    // One node: every internal topic has one replica. Few partitions keep startup around 3 s.
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("default.replication.factor", "1");
    props.put("num.partitions", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // Runnel creates its topics itself; a typo in a topic name should fail, not create one.
    props.put("auto.create.topics.enable", "false");
    return props;
  }

  private static void format(Path dataDir, Properties props) {
    Path propsFile = dataDir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(propsFile)) {
      props.store(out, "embedded Kafka");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit;
    try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exit =
          StorageTool.execute(
              new String[] {
                "format",
                "--config",
                propsFile.toString(),
                "--cluster-id",
                Uuid.randomUuid().toString()
              },
              print);
    }
    if (exit != 0) {
      throw new IllegalStateException(
          "Formatting the embedded broker's storage failed: "
              + output.toString(StandardCharsets.UTF_8));
    }
  }

  private void awaitReady() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for the embedded broker", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "The embedded broker did not answer within " + READY_TIMEOUT, e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free loopback port", e);
    }
  }

  /**
   * A new empty directory for the state of an application run beside this broker (Kafka Streams'
   * {@code state.dir}), inside the broker's data directory and deleted with it on {@link #close()}.
   *
   * @param name the directory's name, unique among those asked of this broker
   */
  public Path stateDirectory(String name) {
    Path dir = dataDir.resolve("apps").resolve(name);
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + dir, e);
    }
  }

  @Override
  public void close() {
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      deleteRecursively(dataDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(EmbeddedKafka::deleteFile);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dir, e);
    }
  }

  private static void deleteFile(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + path, e);
    }
  }
}
