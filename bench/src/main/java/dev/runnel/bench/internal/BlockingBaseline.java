package dev.runnel.bench.internal;

import dev.runnel.model.ChatCompletion;
import dev.runnel.model.ChatMessage;
import dev.runnel.model.ChatModel;
import dev.runnel.model.ChatRequest;
import dev.runnel.model.ModelException;
import dev.runnel.model.StreamListener;
import dev.runnel.schemas.Chunk;
import dev.runnel.schemas.ErrorInfo;
import dev.runnel.schemas.Prompt;
import dev.runnel.serde.AvroSerde;
import dev.runnel.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What users write without Runnel: a plain Kafka Streams processor that calls the model inside
 * {@code process()} and forwards each delta on the stream thread as it arrives. The stream thread
 * waits for the whole reply, so a thread serves one call at a time, and under exactly-once the
 * deltas become visible with the commit after the reply ends. It keeps no conversation (less work
 * than Runnel's chat action does).
 */
public final class BlockingBaseline {
  private BlockingBaseline() {}

  /** prompts ──► blocking chat processor ──► chunks. */
  public static Topology topology(Topics topics, ChatModel model, Duration maxReply) {
    Topology topology = new Topology();
    topology.addSource(
        "prompts",
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer(),
        topics.prompts().name());
    topology.addProcessor("blocking-chat", () -> new BlockingChat(model, maxReply), "prompts");
    topology.addSink(
        "chunks",
        topics.chunks().name(),
        topics.chunks().keySerde().serializer(),
        topics.chunks().valueSerde().serializer(),
        "blocking-chat");
    return topology;
  }

  private static final class BlockingChat implements Processor<byte[], byte[], String, Chunk> {
    private static final AvroSerde<Prompt> PROMPTS = AvroSerde.of(Prompt.class);
    private final ChatModel model;
    private final Duration maxReply;
    private ProcessorContext<String, Chunk> context;

    BlockingChat(ChatModel model, Duration maxReply) {
      this.model = model;
      this.maxReply = maxReply;
    }

    @Override
    public void init(ProcessorContext<String, Chunk> context) {
      this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      String session = new String(record.key(), StandardCharsets.UTF_8);
      Prompt prompt = PROMPTS.decode(record.value());
      String requestId = prompt.getRequestId();
      BlockingQueue<Object> events = new LinkedBlockingQueue<>();
      model.stream(
          new ChatRequest("runnel-sim", List.of(ChatMessage.user(prompt.getContent()))),
          new StreamListener() {
            @Override
            public void onDelta(String text) {
              events.add(text);
            }

            @Override
            public void onComplete(ChatCompletion completion) {
              events.add(completion);
            }

            @Override
            public void onError(ModelException error) {
              events.add(error);
            }
          });
      Chunk.Builder chunk =
          Chunk.newBuilder().setSessionId(session).setRequestId(requestId).setAttempt(1);
      int sequence = 0;
      long deadline = System.nanoTime() + maxReply.toNanos();
      while (true) {
        Object event;
        try {
          event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the model", e);
        }
        if (event instanceof String text) {
          context.forward(
              new Record<>(
                  session,
                  chunk.setSequence(sequence++).setDelta(text).build(),
                  record.timestamp()));
          continue;
        }
        chunk.setSequence(sequence).setDelta("").setEnd(true);
        if (event instanceof ModelException error) {
          chunk.setError(new ErrorInfo(error.kind().name(), error.getMessage(), error.retriable()));
        } else if (event == null) {
          chunk.setError(new ErrorInfo("TIMEOUT", "no reply within " + maxReply, true));
        }
        context.forward(new Record<>(session, chunk.build(), record.timestamp()));
        return;
      }
    }
  }
}
