package dev.runnel.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.utils.Time;

/**
 * A single-node KRaft Kafka in the test JVM whose only client listener is SASL_SSL with
 * SCRAM-SHA-512, with the standard authorizer on. The TLS key pair is made with the JDK's keytool
 * for 127.0.0.1 (clients keep hostname verification on). The admin's SCRAM credential is written at
 * format time, as an operator bootstraps a real cluster; further users are added through the Admin
 * API. The controller listener is loopback PLAINTEXT, and its principal (ANONYMOUS) is a super user
 * as KRaft requires for broker-to-controller traffic; no client listener is PLAINTEXT.
 */
final class SaslSslKafka implements AutoCloseable {
  static final String MECHANISM = "SCRAM-SHA-512";
  static final String ADMIN = "admin";

  private final Path dir;
  private final KafkaRaftServer server;
  private final String bootstrap;
  private final String adminPassword;
  private final Path truststore;
  private final String truststorePassword;

  private SaslSslKafka(
      Path dir,
      KafkaRaftServer server,
      String bootstrap,
      String adminPassword,
      Path truststore,
      String truststorePassword) {
    this.dir = dir;
    this.server = server;
    this.bootstrap = bootstrap;
    this.adminPassword = adminPassword;
    this.truststore = truststore;
    this.truststorePassword = truststorePassword;
  }

  static SaslSslKafka start() throws Exception {
    Path dir = Files.createTempDirectory("runnel-sasl-kafka-");
    String keystorePassword = secret();
    String truststorePassword = secret();
    String adminPassword = secret();
    Path keystore = dir.resolve("broker.p12");
    Path truststore = dir.resolve("truststore.p12");
    makeKeyPair(dir, keystore, keystorePassword, truststore, truststorePassword);

    int port = freePort();
    int controllerPort = freePort();
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put(
        "listeners", "SASL_SSL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "SASL_SSL://127.0.0.1:" + port);
    props.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "SASL_SSL");
    props.put("sasl.enabled.mechanisms", MECHANISM);
    props.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
    props.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas(ADMIN, adminPassword));
    props.put("ssl.keystore.type", "PKCS12");
    props.put("ssl.keystore.location", keystore.toString());
    props.put("ssl.keystore.password", keystorePassword);
    props.put("ssl.key.password", keystorePassword);
    props.put("ssl.truststore.type", "PKCS12");
    props.put("ssl.truststore.location", truststore.toString());
    props.put("ssl.truststore.password", truststorePassword);
    props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    props.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
    props.put("allow.everyone.if.no.acl.found", "false");
    props.put("log.dirs", dir.resolve("logs").toString());
    props.put("metadata.log.dir", dir.resolve("metadata").toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("auto.create.topics.enable", "false");

    format(dir, props, adminPassword);
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    server.startup();
    SaslSslKafka kafka =
        new SaslSslKafka(
            dir, server, "127.0.0.1:" + port, adminPassword, truststore, truststorePassword);
    try (Admin admin = kafka.admin()) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      kafka.close();
      throw e;
    }
    return kafka;
  }

  /**
   * The settings a Kafka client needs to reach this broker as {@code user}: exactly the keys an
   * operator puts in Runnel's configuration (or {@code KAFKA_*} variables).
   */
  Map<String, Object> clientSettings(String user, String password) {
    return Map.of(
        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
        bootstrap,
        CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
        "SASL_SSL",
        SaslConfigs.SASL_MECHANISM,
        MECHANISM,
        SaslConfigs.SASL_JAAS_CONFIG,
        jaas(user, password),
        SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG,
        "PKCS12",
        SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
        truststore.toString(),
        SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG,
        truststorePassword);
  }

  /** Settings of the super user, for the test's own setup, producing and reading. */
  Map<String, Object> adminClientSettings() {
    return clientSettings(ADMIN, adminPassword);
  }

  Admin admin() {
    return Admin.create(adminClientSettings());
  }

  /** Creates a SCRAM user, as {@code kafka-configs --alter --add-config SCRAM-SHA-512=...} does. */
  void addUser(String user, String password) throws Exception {
    try (Admin admin = admin()) {
      admin
          .alterUserScramCredentials(
              List.of(
                  new UserScramCredentialUpsertion(
                      user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password)))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
  }

  static String secret() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String jaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  private static void makeKeyPair(
      Path dir, Path keystore, String keystorePassword, Path truststore, String truststorePassword)
      throws IOException, InterruptedException {
    Path certificate = dir.resolve("broker.crt");
    keytool(
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype",
        "PKCS12",
        "-keystore",
        keystore.toString(),
        "-storepass",
        keystorePassword,
        "-keypass",
        keystorePassword);
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "broker",
        "-keystore",
        keystore.toString(),
        "-storepass",
        keystorePassword,
        "-file",
        certificate.toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "broker",
        "-file",
        certificate.toString(),
        "-storetype",
        "PKCS12",
        "-keystore",
        truststore.toString(),
        "-storepass",
        truststorePassword);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output);
    }
  }

  private static void format(Path dir, Properties props, String adminPassword) throws IOException {
    Path file = dir.resolve("server.properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      props.store(out, "SASL_SSL test broker");
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit;
    try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exit =
          StorageTool.execute(
              new String[] {
                "format",
                "--config",
                file.toString(),
                "--cluster-id",
                Uuid.randomUuid().toString(),
                "--add-scram",
                MECHANISM + "=[name=" + ADMIN + ",password=" + adminPassword + "]"
              },
              print);
    }
    if (exit != 0) {
      throw new IllegalStateException(
          "Formatting the broker failed: " + output.toString(StandardCharsets.UTF_8));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
