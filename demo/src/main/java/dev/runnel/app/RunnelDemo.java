package dev.runnel.app;

import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.app.internal.ConsolePrinter;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.topics.Topics;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The embedded default: with no configuration, starts a single-node Kafka, the simulated model
 * server and Runnel in this JVM, all on loopback; sends a few prompts in two sessions; prints the
 * replies as they stream and then the sessions' states; then takes more prompts from standard input
 * as {@code <session> <prompt>} until Ctrl-C.
 */
public final class RunnelDemo {
  private static final Duration FIRST_REPLIES_TIMEOUT = Duration.ofMinutes(2);
  private static final List<String[]> FIRST_PROMPTS =
      List.of(
          new String[] {"alice", "What is Kafka Streams?"},
          new String[] {"bob", "Write a haiku about tokens."},
          new String[] {"alice", "And what does exactly-once mean there?"},
          new String[] {"bob", "Another one, about partitions."});

  private final PrintStream out;
  // Closed in reverse order of starting; the shutdown hook may run while run() still starts things.
  private final Deque<AutoCloseable> resources = new ConcurrentLinkedDeque<>();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private RunnelDemo(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    // Replies mix Chinese and emoji; the platform's default encoding may not be UTF-8.
    RunnelDemo demo =
        new RunnelDemo(
            new PrintStream(
                new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8));
    Runtime.getRuntime().addShutdownHook(new Thread(demo::stop, "runnel-demo-shutdown"));
    demo.run();
  }

  private void run() throws Exception {
    out.println("Starting an embedded Kafka broker, the simulated model and Runnel ...");
    EmbeddedKafka kafka = EmbeddedKafka.start();
    resources.push(kafka);
    SimulatedModelServer model = SimulatedModelServer.start();
    resources.push(model);

    Map<String, Object> settings = new HashMap<>();
    settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
    settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, model.openAiBaseUrl());
    settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "runnel-demo");
    settings.put(StreamsConfig.STATE_DIR_CONFIG, kafka.stateDirectory("runnel-demo").toString());
    settings.put(RunnelConfig.TOPIC_PARTITIONS_CONFIG, "2");
    settings.put(RunnelConfig.METRICS_BIND_ADDRESS_CONFIG, "127.0.0.1");
    // The default metrics port when nothing else uses it, else 0 (off): the demo must always start.
    settings.put(RunnelConfig.METRICS_PORT_CONFIG, portIfFree(RunnelConfig.METRICS_PORT_CONFIG));
    // Each front end on the class path (the gateway, when run from its module) starts beside it.
    settings.put(RunnelConfig.GATEWAY_PORT_CONFIG, portIfFree(RunnelConfig.GATEWAY_PORT_CONFIG));
    // The embedded default runs on a developer's machine: no keys, and the gateway says so.
    settings.put(RunnelConfig.GATEWAY_AUTH_MODE_CONFIG, RunnelConfig.AUTH_OPEN);
    RunnelConfig config = new RunnelConfig(settings);
    Topics topics = Topics.from(config);

    Runnel.Builder builder = Runnel.builder(config);
    ServiceLoader.load(FrontEnd.Factory.class).forEach(builder::frontEnd);
    Runnel app = builder.start();
    resources.push(app);
    List<FrontEnd> frontEnds = app.frontEnds();
    ConsolePrinter printer = new ConsolePrinter(kafka.bootstrapServers(), topics, out);
    Thread printerThread = new Thread(printer, "runnel-demo-printer");
    printerThread.setDaemon(true);
    printerThread.start();
    resources.push(printer);
    KafkaProducer<String, Prompt> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            topics.prompts().keySerde().serializer(),
            topics.prompts().valueSerde().serializer());
    resources.push(producer);

    out.println("Sending " + FIRST_PROMPTS.size() + " prompts in sessions alice and bob:");
    for (String[] prompt : FIRST_PROMPTS) {
      send(producer, topics, prompt[0], prompt[1]);
    }
    awaitFirstReplies(printer);
    out.println();
    out.println("Final session states (topic " + topics.sessions().name() + "):");
    printer.printSessions();
    out.println();
    out.println("Runnel keeps running. Type a prompt as `<session> <prompt>` and press Enter,");
    out.println(
        "e.g. `alice Tell me more` (add [[sim duration_ms=20000]] for a slow reply)."
            + " Ctrl-C stops everything.");
    for (FrontEnd frontEnd : frontEnds) {
      out.println("Chat page: " + frontEnd.url());
    }
    app.metricsAddress()
        .ifPresent(a -> out.println("Metrics: http://127.0.0.1:" + a.getPort() + "/metrics"));
    out.println(
        "Kafka is at "
            + kafka.bootstrapServers()
            + " (topics "
            + topics.prompts().name()
            + ", "
            + topics.chunks().name()
            + ", "
            + topics.sessions().name()
            + "; values are Avro single-object encoded).");
    out.flush();
    readPrompts(producer, topics);
    stopped.await();
  }

  /** Returns once the first replies are done or the demo stops (the printer with it). */
  private void awaitFirstReplies(ConsolePrinter printer) throws InterruptedException {
    try {
      printer.awaitSessions(RunnelDemo::firstRepliesDone, FIRST_REPLIES_TIMEOUT);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "The first replies did not complete within " + FIRST_REPLIES_TIMEOUT, e);
    }
  }

  private static boolean firstRepliesDone(Map<String, SessionState> sessions) {
    long perSession = FIRST_PROMPTS.stream().filter(p -> p[0].equals("alice")).count();
    return Stream.of("alice", "bob")
        .allMatch(s -> sessions.containsKey(s) && sessions.get(s).getVersion() >= perSession);
  }

  private void readPrompts(KafkaProducer<String, Prompt> producer, Topics topics)
      throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] parts = line.trim().split("\\s+", 2);
      if (parts.length < 2 || parts[1].isBlank()) {
        if (!line.isBlank()) {
          out.println("Type `<session> <prompt>`, e.g. `alice Tell me more`.");
        }
        continue;
      }
      send(producer, topics, parts[0], parts[1]);
    }
  }

  private void send(
      KafkaProducer<String, Prompt> producer, Topics topics, String session, String text) {
    Prompt prompt = Prompt.newBuilder().setContent(text).build();
    producer.send(new ProducerRecord<>(topics.prompts().name(), session, prompt));
    producer.flush();
    out.println("> [" + session + "] " + text);
    out.flush();
  }

  /** Closes everything in reverse order of starting; runs on Ctrl-C. */
  private void stop() {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        System.err.println("While stopping: " + e);
      }
    }
    stopped.countDown();
    out.println("Runnel demo stopped.");
    out.flush();
  }

  /**
   * The default port of {@code setting} when it is free on loopback, else 0 (any free port for the
   * gateway, off for metrics).
   */
  private static int portIfFree(String setting) {
    int port = (Integer) RunnelConfig.CONFIG.defaultValues().get(setting);
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    } catch (IOException e) {
      return 0;
    }
  }
}
