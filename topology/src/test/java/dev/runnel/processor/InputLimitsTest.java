package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.runnel.config.RunnelConfig;
import dev.runnel.schemas.Cancellation;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.DeadLetter;
import dev.runnel.schemas.FinishReason;
import dev.runnel.schemas.Message;
import dev.runnel.schemas.Prompt;
import dev.runnel.schemas.RequestStatus;
import dev.runnel.schemas.SessionState;
import dev.runnel.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs at and past the size limits, and keys that are not session ids. */
class InputLimitsTest {
  private static final AvroSerde<SessionState> STATES = AvroSerde.of(SessionState.class);
  private static final AvroSerde<DeadLetter> LETTERS = AvroSerde.of(DeadLetter.class);
  private static final AvroSerde<Prompt> PROMPTS = AvroSerde.of(Prompt.class);
  private static final int KAFKA_MAX_REQUEST_SIZE = 1024 * 1024;

  @TempDir Path stateDir;

  /**
   * 32 prompts of 32,000 characters (within the defaults) whose conversation would pass 1 MB: each
   * request has one model call and completes, every state stays within runnel.session.max.bytes by
   * dropping the oldest messages (counted in droppedMessages), and the next prompt works.
   */
  @Test
  void aConversationPastOneMegabyteDropsItsOldestMessagesAndKeepsWorking() {
    ScriptedModel model = ScriptedModel.echoing();
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      int maxBytes = h.config.getInt(RunnelConfig.SESSION_MAX_BYTES_CONFIG);
      for (int i = 0; i < 32; i++) {
        h.send("big", "r" + i, (i % 10) + "x".repeat(31_999));
        h.pump();
      }
      h.send("big", "after", "and now a short one");
      h.pump();

      assertThat(model.calls()).as("one model call per request").hasSize(33);
      List<SessionState> states = h.states("big");
      assertThat(states).extracting(SessionState::getVersion).hasSize(33).endsWith(33L);
      assertThat(states)
          .allSatisfy(s -> assertThat(s.getLastStatus()).isEqualTo(RequestStatus.COMPLETED));
      assertThat(states)
          .allSatisfy(s -> assertThat(STATES.encode(s).length).isLessThanOrEqualTo(maxBytes));
      SessionState last = states.get(states.size() - 1);
      assertThat(last.getDroppedMessages()).isPositive();
      assertThat(last.getDroppedMessages() + last.getMessages().size()).isEqualTo(66);
      List<Message> messages = last.getMessages();
      assertThat(messages.get(messages.size() - 2).getContent()).isEqualTo("and now a short one");
      assertThat(messages.get(messages.size() - 1).getContent())
          .isEqualTo("echo: and now a short one");
      // The oldest went first: what is kept is the end of the conversation, in order.
      assertThat(messages.get(0).getRequestId()).isEqualTo("r" + (32 - (messages.size() - 2) / 2));
      assertThat(h.endChunks()).allSatisfy(e -> assertThat(e.getError()).isNull());
    }
  }

  /**
   * A reply that alone is larger than runnel.session.max.bytes cannot be kept: the request fails
   * once, with STATE_TOO_LARGE in its end record and a dead letter, the model is not asked again,
   * and the session's next prompt works.
   */
  @Test
  void aReplyTooLargeForTheSessionStateFailsTheRequestOnceAndTheNextPromptWorks() {
    ScriptedModel model = ScriptedModel.echoing();
    try (Harness h =
        new Harness(stateDir, model, Map.of(RunnelConfig.SESSION_MAX_BYTES_CONFIG, 16 * 1024))) {
      h.send("s", "huge", "y".repeat(10_000));
      h.pumpPastBackoff();
      h.send("s", "small", "hello");
      h.pumpPastBackoff();

      assertThat(model.calls()).extracting(ScriptedModel.Call::prompt).hasSize(2);
      List<Chunk> ends = h.endChunks();
      assertThat(ends)
          .extracting(Chunk::getRequestId, Chunk::getFinishReason)
          .containsExactly(tuple("huge", FinishReason.ERROR), tuple("small", FinishReason.STOP));
      assertThat(ends.get(0).getError().getKind()).isEqualTo("STATE_TOO_LARGE");
      assertThat(ends.get(0).getError().getMessage()).contains("runnel.session.max.bytes=16384");
      assertThat(ends.get(0).getSequence()).as("the end follows the reply's 2 deltas").isEqualTo(2);
      assertThat(h.states("s"))
          .extracting(SessionState::getVersion, SessionState::getLastStatus)
          .containsExactly(tuple(1L, RequestStatus.FAILED), tuple(2L, RequestStatus.COMPLETED));
      assertThat(h.states("s").get(1).getMessages())
          .extracting(Message::getContent)
          .containsExactly("hello", "echo: hello");
      assertThat(h.deadLetters.readValuesToList())
          .extracting(DeadLetter::getRequestId, DeadLetter::getReason)
          .containsExactly(tuple("huge", "REQUEST_FAILED"));
    }
  }

  /**
   * A prompt record of about 1 MB (the broker's limit) is rejected, and its dead letter, which
   * carries the original bytes, still fits in one record: a prefix of the value, marked truncated,
   * with the original size. The next prompt works.
   */
  @Test
  void aPromptRecordOfAboutOneMegabyteGetsADeadLetterThatFits() {
    ScriptedModel model = ScriptedModel.echoing();
    byte[] value =
        PROMPTS.encode(Prompt.newBuilder().setContent("z".repeat(1_048_000 - 200)).build());
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.rawPrompts.pipeInput("s".getBytes(StandardCharsets.UTF_8), value);
      h.send("s", "next", "still there?");
      h.pump();

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).hasSize(1);
      DeadLetter letter = letters.get(0);
      assertThat(letter.getReason()).isEqualTo("PROMPT_TOO_LARGE");
      assertThat(letter.getMessage())
          .contains(value.length + " bytes")
          .contains("runnel.session.max.bytes");
      assertThat(LETTERS.encode(letter).length).isLessThan(KAFKA_MAX_REQUEST_SIZE - 1024);
      assertThat(letter.getTruncated()).isTrue();
      assertThat(letter.getOriginalValueSize()).isEqualTo(value.length);
      byte[] kept = bytes(letter.getValue());
      assertThat(kept.length).isLessThan(value.length).isGreaterThan(value.length / 2);
      assertThat(kept).isEqualTo(Arrays.copyOf(value, kept.length));
      assertThat(bytes(letter.getKey())).isEqualTo("s".getBytes(StandardCharsets.UTF_8));
      assertThat(letter.getOriginalKeySize()).isEqualTo(1);
      assertThat(h.states("s")).extracting(SessionState::getLastRequestId).containsExactly("next");
    }
  }

  /** A small rejected record keeps its bytes whole, and says so. */
  @Test
  void aSmallDeadLetterCarriesTheWholeRecord() {
    byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), Map.of())) {
      h.rawPrompts.pipeInput("s".getBytes(StandardCharsets.UTF_8), garbage);

      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("UNDESERIALIZABLE");
      assertThat(letter.getTruncated()).isFalse();
      assertThat(bytes(letter.getValue())).isEqualTo(garbage);
      assertThat(letter.getOriginalValueSize()).isEqualTo(garbage.length);
    }
  }

  /**
   * Keys that are not valid UTF-8 would decode, with replacement characters, to one session id;
   * both records (a prompt and a cancellation) go to the dead-letter topic with their original key
   * bytes, and a valid key goes on.
   */
  @Test
  void keysThatAreNotUtf8AreRejectedWithTheirOriginalBytes() {
    ScriptedModel model = ScriptedModel.echoing();
    byte[] first = {'s', (byte) 0xff};
    byte[] second = {'s', (byte) 0xfe};
    byte[] value = PROMPTS.encode(Prompt.newBuilder().setContent("hello").build());
    try (Harness h = new Harness(stateDir, model, Map.of())) {
      h.rawPrompts.pipeInput(first, value);
      h.rawPrompts.pipeInput(second, value);
      h.driver
          .createInputTopic(
              h.topics.cancellations().name(),
              new org.apache.kafka.common.serialization.ByteArraySerializer(),
              h.topics.cancellations().valueSerde().serializer())
          .pipeInput(first, Cancellation.newBuilder().build());
      h.send("s", "ok", "hello");
      h.pump();

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters)
          .extracting(DeadLetter::getReason, DeadLetter::getSessionId, DeadLetter::getSourceTopic)
          .containsExactly(
              tuple("INVALID_KEY", null, h.topics.prompts().name()),
              tuple("INVALID_KEY", null, h.topics.prompts().name()),
              tuple("INVALID_KEY", null, h.topics.cancellations().name()));
      assertThat(bytes(letters.get(0).getKey())).isEqualTo(first);
      assertThat(bytes(letters.get(1).getKey())).isEqualTo(second);
      assertThat(bytes(letters.get(0).getValue())).isEqualTo(value);
      assertThat(letters.get(0).getMessage()).contains("0x73 0xff").contains("not valid UTF-8");
      assertThat(model.calls()).hasSize(1);
      assertThat(h.states()).extracting(SessionState::getSessionId).containsExactly("s");
    }
  }

  /** A session id or request id long enough to swell every record of its session is refused. */
  @Test
  void overlongIdsAreRejected() {
    byte[] value = PROMPTS.encode(Prompt.newBuilder().setContent("hello").build());
    try (Harness h = new Harness(stateDir, ScriptedModel.echoing(), Map.of())) {
      h.rawPrompts.pipeInput("k".repeat(1025).getBytes(StandardCharsets.UTF_8), value);
      h.send("s", "r".repeat(257), "hello");
      h.pump();

      assertThat(h.deadLetters.readValuesToList())
          .extracting(DeadLetter::getReason)
          .containsExactly("INVALID_KEY", "INVALID_REQUEST_ID");
      assertThat(h.states()).isEmpty();
    }
  }

  /** Bounds that could not fit in one record under the producer's limit stop startup. */
  @Test
  void boundsThatDoNotFitTheProducersRecordLimitAreRefused() {
    assertThatThrownBy(
            () ->
                new Harness(
                    stateDir,
                    ScriptedModel.echoing(),
                    Map.of(RunnelConfig.SESSION_MAX_BYTES_CONFIG, 1_000_000)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.SESSION_MAX_BYTES_CONFIG)
        .hasMessageContaining("1048576");
    assertThatThrownBy(
            () ->
                new Harness(
                    stateDir,
                    ScriptedModel.echoing(),
                    Map.of(
                        RunnelConfig.SESSION_MAX_BYTES_CONFIG,
                        1_500_000,
                        "producer.max.request.size",
                        "2000000",
                        RunnelConfig.DEDUP_WINDOW_CONFIG,
                        5000)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(RunnelConfig.DEDUP_WINDOW_CONFIG);
  }

  /**
   * In the test driver every record is on partition 0; with 6 input partitions a key whose murmur2
   * partition is another one takes the repartition step, and still reports where it came from.
   */
  @Test
  void aRecordOffItsKeysPartitionIsReroutedAndKeepsItsOrigin() {
    String session = misplacedKey(6);
    ScriptedModel model = ScriptedModel.echoing();
    try (Harness h =
        new Harness(stateDir, model, Map.of(RunnelConfig.TOPIC_PARTITIONS_CONFIG, 6))) {
      h.send(session, "   ");
      h.prompts.pipeInput(session, Prompt.newBuilder().setContent("derive my id").build());
      h.pump();

      DeadLetter letter = h.deadLetters.readValue();
      assertThat(letter.getReason()).isEqualTo("EMPTY_PROMPT");
      assertThat(letter.getSourceTopic()).isEqualTo(h.topics.prompts().name());
      assertThat(letter.getSourcePartition()).isZero();
      assertThat(letter.getSourceOffset()).isZero();
      assertThat(h.states(session))
          .extracting(SessionState::getLastRequestId)
          .containsExactly(h.topics.prompts().name() + "-0-1");
    }
  }

  private static String misplacedKey(int partitions) {
    for (int i = 0; ; i++) {
      String key = "session-" + i;
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      if (Utils.toPositive(Utils.murmur2(bytes)) % partitions != 0) {
        return key;
      }
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
