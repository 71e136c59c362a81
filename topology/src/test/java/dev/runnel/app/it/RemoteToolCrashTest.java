package dev.runnel.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.app.Runnel;
import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.Role;
import dev.runnel.schemas.SessionState;
import dev.runnel.schemas.ToolInvocation;
import dev.runnel.simulator.RecordedRequest;
import dev.runnel.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote tool survives the crash of the instance waiting for it. The agent ({@link
 * RemoteToolAgentProvider}) runs two tool rounds: the in-process {@code clock}, then {@code
 * lookup}, published to the tool-calls topic. The instance, in its own JVM, is killed with SIGKILL
 * while it waits; only then does the lookup service, a plain consumer and producer, answer in JSON.
 * The next instance asks nothing again: it takes the answer from the results topic and the model
 * goes on with it.
 */
@Tag("integration")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RemoteToolCrashTest {
  private static final int SESSIONS = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ItEnvironment env;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    env = ItEnvironment.start();
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  private static String prompt(String session) {
    return "Find " + session + " [[sim tool=clock>lookup]]";
  }

  @Test
  void aRunWaitingForARemoteToolWhenItsInstanceIsKilledUsesTheAnswerGivenMeanwhile(TestInfo info)
      throws Exception {
    String id = ItEnvironment.uniqueId(info);
    Map<String, Object> crashing =
        env.settings(id, Files.createDirectories(dir.resolve("a")), RunnelConfig.LANE_IMMEDIATE);
    crashing.put(RunnelConfig.ACTIONS_CONFIG, RemoteToolAgentProvider.class.getName());
    Topics topics = Topics.from(new RunnelConfig(crashing));
    List<String> sessions = IntStream.range(0, SESSIONS).mapToObj(i -> "s" + i).toList();
    int before = env.model.requests().size();

    try (ChildInstance child = ChildInstance.start(crashing, dir, "instance-a")) {
      env.awaitToolTopics(topics, child::isAlive, child::output);
      try (TopicFollower<Chunk> committed = env.chunks(topics, true);
          TopicFollower<SessionState> states = env.sessions(topics);
          TopicFollower<ToolInvocation> invocations =
              new TopicFollower<>(
                  env.kafka.bootstrapServers(),
                  topics.toolCalls().name(),
                  topics.toolCalls().valueSerde().deserializer(),
                  true);
          KafkaProducer<String, Prompt> producer = env.promptProducer(topics)) {
        for (String session : sessions) {
          ItEnvironment.send(producer, topics, session, session + "-r", prompt(session));
        }
        producer.flush();

        // Every run answered clock, asked for lookup, and waits: the call is committed.
        await()
            .atMost(Duration.ofSeconds(60))
            .failFast(
                () ->
                    assertThat(child.isAlive())
                        .as(() -> "instance A exited:\n" + child.output())
                        .isTrue())
            .until(() -> invocations.values().size() == SESSIONS);
        child.kill();
        assertThat(Replies.ends(committed.values())).isEmpty();

        try (LookupService service = new LookupService(topics)) {
          await().atMost(Duration.ofSeconds(30)).until(() -> service.answered() == SESSIONS);

          Map<String, Object> next =
              env.settings(
                  id, Files.createDirectories(dir.resolve("b")), RunnelConfig.LANE_IMMEDIATE);
          next.put(RunnelConfig.ACTIONS_CONFIG, RemoteToolAgentProvider.class.getName());
          try (Runnel survivor = ItEnvironment.startInstance(next)) {
            await()
                .atMost(Duration.ofSeconds(90))
                .until(() -> Replies.ends(committed.values()).size() == SESSIONS);
            await()
                .atMost(Duration.ofSeconds(10))
                .until(
                    () ->
                        Replies.latest(states.values()).values().stream()
                            .allMatch(s -> s.getLastStatus() == RequestStatus.COMPLETED));

            // One invocation per call: the survivor did not ask the service again.
            assertThat(invocations.values())
                .extracting(i -> i.getSessionId().toString(), i -> i.getTool().toString())
                .containsExactlyInAnyOrder(
                    sessions.stream()
                        .map(s -> tuple(s, RemoteToolAgentProvider.LOOKUP))
                        .toArray(Tuple[]::new));
            assertThat(service.answered()).isEqualTo(SESSIONS);
            // Three model calls per session: clock asked, lookup asked, the answer; none again.
            Map<String, Long> asked =
                env.model.requests().subList(before, env.model.requests().size()).stream()
                    .map(RecordedRequest::prompt)
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            for (String session : sessions) {
              assertThat(asked.get(prompt(session))).as(session).isEqualTo(3);
            }
            Map<String, SessionState> latest = Replies.latest(states.values());
            for (String session : sessions) {
              List<Message> conversation = latest.get(session).getMessages();
              assertThat(conversation)
                  .extracting(Message::getRole)
                  .containsExactly(
                      Role.USER,
                      Role.ASSISTANT,
                      Role.TOOL,
                      Role.ASSISTANT,
                      Role.TOOL,
                      Role.ASSISTANT);
              assertThat(conversation.get(2).getContent())
                  .isEqualTo(RemoteToolAgentProvider.CLOCK_TIME);
              assertThat(conversation.get(4).getContent())
                  .isEqualTo(LookupService.answer("Find " + session));
              assertThat(conversation.get(4).getToolCallId())
                  .isEqualTo(conversation.get(3).getToolCalls().get(0).getId());
            }
            assertThat(Replies.ends(committed.values()).values())
                .allSatisfy(
                    e ->
                        assertThat(e)
                            .singleElement()
                            .satisfies(
                                end -> {
                                  assertThat(end.getFinishReason()).isEqualTo(FinishReason.STOP);
                                  assertThat(end.getAction()).isEqualTo("model");
                                }));
            assertThat(survivor.replacedThreads()).isZero();
          }
        }
      }
    }
  }

  /**
   * The lookup tool as a service of its own: a plain consumer of the tool-calls topic and a plain
   * producer of JSON answers, keyed by session, with the call's id.
   */
  private static final class LookupService implements AutoCloseable {
    private final KafkaConsumer<String, ToolInvocation> consumer;
    private final KafkaProducer<String, String> producer;
    private final Topics topics;
    private final Thread thread;
    private final AtomicInteger answered = new AtomicInteger();

    LookupService(Topics topics) {
      this.topics = topics;
      this.consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  env.kafka.bootstrapServers(),
                  ConsumerConfig.GROUP_ID_CONFIG,
                  "lookup-service",
                  ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                  "read_committed",
                  ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                  "earliest"),
              new StringDeserializer(),
              topics.toolCalls().valueSerde().deserializer());
      this.producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  env.kafka.bootstrapServers(),
                  ProducerConfig.ACKS_CONFIG,
                  "all"),
              new StringSerializer(),
              new StringSerializer());
      consumer.subscribe(List.of(topics.toolCalls().name()));
      this.thread = new Thread(this::run, "lookup-service");
      thread.setDaemon(true);
      thread.start();
    }

    /** The service's answer for the name asked: what the model must read. */
    static String answer(String name) {
      return name + " lives at 1 Kafka Street";
    }

    private void run() {
      try {
        while (true) {
          for (ConsumerRecord<String, ToolInvocation> call : consumer.poll(Duration.ofMillis(50))) {
            String name =
                JSON.readTree(call.value().getArguments().toString()).path("name").asText();
            String result =
                JSON.writeValueAsString(
                    Map.of("callId", call.value().getCallId().toString(), "content", answer(name)));
            producer
                .send(new ProducerRecord<>(topics.toolResults().name(), call.key(), result))
                .get();
            answered.incrementAndGet();
          }
        }
      } catch (WakeupException e) {
        // closing
      } catch (Exception e) {
        throw new IllegalStateException("the lookup service failed", e);
      } finally {
        consumer.close();
        producer.close();
      }
    }

    int answered() {
      return answered.get();
    }

    @Override
    public void close() {
      consumer.wakeup();
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
