package dev.runnel.examples;

import dev.runnel.action.StreamingAction;
import dev.runnel.app.ChatModels;
import dev.runnel.app.Runnel;
import dev.runnel.app.embedded.EmbeddedKafka;
import dev.runnel.app.internal.ConsolePrinter;
import dev.runnel.config.RunnelConfig;
import dev.runnel.model.ChatModel;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.SessionState;
import dev.runnel.simulator.SimulatedModelServer;
import dev.runnel.topics.Topics;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs one example on the embedded default: starts an in-process Kafka broker, the simulated model
 * and a Runnel instance hosting the example, sends two prompts in one session, prints each reply
 * token by token as it streams from the chunks topic (the demo's printer), then the session's state
 * with its fields, and stops everything. {@code mvn -q -B -pl examples exec:java
 * -Dexec.args=<example>}; an unknown example prints the valid names and exits with status 2.
 */
public final class RunExample {
  private static final Map<String, Function<ChatModel, StreamingAction>> EXAMPLES =
      new LinkedHashMap<>();

  static {
    EXAMPLES.put(
        "draft-then-refine", model -> StreamingAction.blocking(new DraftThenRefine(model)));
    EXAMPLES.put("typewriter", model -> new Typewriter(Duration.ofMillis(30)));
    EXAMPLES.put("shout", model -> StreamingAction.fromPublisher(new Shout(model)));
  }

  private static final String SESSION = "alice";
  private static final List<String> PROMPTS =
      List.of("What is Kafka Streams?", "And why keep a session's state in a compacted topic?");
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  private RunExample() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 1 || !EXAMPLES.containsKey(args[0])) {
      System.err.println(
          "Name one example: "
              + String.join(", ", EXAMPLES.keySet())
              + " (mvn -q -B -pl examples exec:java -Dexec.args=typewriter)");
      System.exit(2);
    }
    // Replies mix Chinese and emoji; the platform's default encoding may not be UTF-8.
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    if (!run(args[0], out)) {
      System.exit(1);
    }
  }

  private static boolean run(String example, PrintStream out)
      throws IOException, InterruptedException {
    out.println(
        "Starting an embedded Kafka broker, the simulated model and Runnel with " + example);
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        SimulatedModelServer simulator = SimulatedModelServer.start()) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "runnel-example-" + example);
      settings.put(StreamsConfig.STATE_DIR_CONFIG, kafka.stateDirectory(example).toString());
      settings.put(RunnelConfig.MODEL_PROVIDER_CONFIG, RunnelConfig.PROVIDER_SIMULATED);
      settings.put(RunnelConfig.MODEL_BASE_URL_CONFIG, simulator.openAiBaseUrl());
      settings.put(RunnelConfig.TOPIC_PARTITIONS_CONFIG, "1");
      settings.put(RunnelConfig.METRICS_PORT_CONFIG, "0");
      settings.put(RunnelConfig.QUERY_PORT_CONFIG, "-1");
      RunnelConfig config = new RunnelConfig(settings);
      Topics topics = Topics.from(config);
      try (ChatModel model = ChatModels.create(config);
          Runnel runnel =
              Runnel.builder(config).action(EXAMPLES.get(example).apply(model)).start()) {
        ConsolePrinter printer = new ConsolePrinter(kafka.bootstrapServers(), topics, out);
        Thread printing = new Thread(printer, "runnel-example-printer");
        printing.start();
        try {
          send(kafka.bootstrapServers(), topics);
          if (printer.awaitSessions(RunExample::bothReplied, TIMEOUT)) {
            printer.printSessions();
            return true;
          }
          System.err.println("The printer stopped before the replies ended");
          return false;
        } catch (TimeoutException e) {
          System.err.println(
              "The replies did not end within "
                  + TIMEOUT
                  + "; Kafka Streams went through "
                  + runnel.stateHistory());
          return false;
        } finally {
          printer.close();
          printing.join();
        }
      }
    }
  }

  private static void send(String bootstrapServers, Topics topics) {
    try (KafkaProducer<String, Prompt> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            topics.prompts().keySerde().serializer(),
            topics.prompts().valueSerde().serializer())) {
      for (int i = 0; i < PROMPTS.size(); i++) {
        producer.send(
            new ProducerRecord<>(
                topics.prompts().name(),
                SESSION,
                Prompt.newBuilder()
                    .setRequestId("request-" + (i + 1))
                    .setContent(PROMPTS.get(i))
                    .build()));
      }
    }
  }

  private static boolean bothReplied(Map<String, SessionState> sessions) {
    SessionState state = sessions.get(SESSION);
    return state != null && state.getVersion() >= PROMPTS.size();
  }
}
