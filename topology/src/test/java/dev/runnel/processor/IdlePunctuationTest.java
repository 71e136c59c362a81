package dev.runnel.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runnel.application.Application;
import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import dev.runnel.processor.internal.Actions;
import dev.runnel.processor.internal.CallSlots;
import dev.runnel.processor.internal.Hooks;
import dev.runnel.processor.internal.ProcessorSettings;
import dev.runnel.processor.internal.StreamingActionProcessorSupplier;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.Prompt;
import dev.runnel.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams marks a task as needing a commit after every punctuation it runs, so a processor
 * that punctuates with nothing to do makes its instance commit every commit.interval.ms while idle.
 * The processor punctuates only while it has calls running or requests waiting.
 */
class IdlePunctuationTest {
  @TempDir Path stateDir;

  @Test
  void punctuatesOnlyWhileItHasWork() {
    RunnelConfig config =
        new RunnelConfig(Map.of(RunnelConfig.DELTA_LANE_CONFIG, RunnelConfig.LANE_TRANSACTIONAL));
    StreamingActionProcessorSupplier supplier =
        new StreamingActionProcessorSupplier(
            ProcessorSettings.from(config, "chunks", "sessions", "dead-letters", "tool-calls"),
            new Actions(List.of(Application.of(new ChatAction(ScriptedModel.echoing(), "", 0)))),
            Optional.empty(),
            new CallSlots(4),
            new Hooks(List.of()));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "idle-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    MockProcessorContext<String, SpecificRecord> context =
        new MockProcessorContext<>(props, new TaskId(0, 0), stateDir.toFile());
    for (StoreBuilder<?> builder : supplier.stores()) {
      StateStore store = builder.withLoggingDisabled().build();
      store.init(context.getStateStoreContext(), store);
      context.addStateStore(store);
    }
    Processor<byte[], byte[], String, SpecificRecord> processor = supplier.get();
    processor.init(context);

    punctuateLive(context, 1_000);
    assertThat(live(context)).as("nothing to resume: the processor stops punctuating").isEmpty();

    context.setCurrentSystemTimeMs(2_000);
    context.setRecordMetadata(config.getString(RunnelConfig.PROMPTS_TOPIC_CONFIG), 0, 0);
    byte[] prompt =
        AvroSerde.of(Prompt.class)
            .serializer()
            .serialize("prompts", Prompt.newBuilder().setRequestId("r1").setContent("hi").build());
    processor.process(new Record<>("s1".getBytes(StandardCharsets.UTF_8), prompt, 2_000L));
    assertThat(live(context)).as("a call runs: the processor punctuates again").hasSize(1);

    punctuateLive(context, 3_000);
    assertThat(
            context.forwarded().stream()
                .map(f -> f.record().value())
                .filter(v -> v instanceof Chunk c && c.getEnd())
                .count())
        .as("the punctuation took in the call's final")
        .isEqualTo(1);
    assertThat(live(context)).as("the call is done: idle again, no punctuation").isEmpty();
    processor.close();
  }

  private static List<CapturedPunctuator> live(MockProcessorContext<?, ?> context) {
    return context.scheduledPunctuators().stream().filter(p -> !p.cancelled()).toList();
  }

  private static void punctuateLive(MockProcessorContext<?, ?> context, long now) {
    context.setCurrentSystemTimeMs(now);
    for (CapturedPunctuator p : live(context)) {
      p.getPunctuator().punctuate(now);
    }
  }
}
