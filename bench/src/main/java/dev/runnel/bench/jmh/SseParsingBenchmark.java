package dev.runnel.bench.jmh;

import dev.runnel.model.FinishReason;
import dev.runnel.model.ModelException;
import dev.runnel.model.TokenUsage;
import dev.runnel.model.internal.CallSink;
import dev.runnel.model.internal.SseParser;
import dev.runnel.model.openai.internal.OpenAiStreamProtocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Reading one streamed reply of {@value #TOKENS} tokens in the OpenAI chunk format, one network
 * read per event: the server-sent-events parser alone, and with the chunk JSON decoded into deltas.
 * Scores are per event (one token).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SseParsingBenchmark {
  static final int TOKENS = 45;
  private static final String[] WORDS = {"the ", "river ", "流式", "模型", "🚀 ", "café "};

  private List<byte[]> reads;

  @Setup
  public void setUp() {
    reads = new ArrayList<>();
    reads.add(
        event(
            "{\"id\":\"sim-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"runnel-sim\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":\"\"},\"finish_reason\":null}]}"));
    for (int i = 0; i < TOKENS; i++) {
      reads.add(
          event(
              "{\"id\":\"sim-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                  + "\"model\":\"runnel-sim\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                  + WORDS[i % WORDS.length]
                  + "\"},\"finish_reason\":null}]}"));
    }
    reads.add(
        event(
            "{\"id\":\"sim-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"runnel-sim\",\"choices\":[{\"index\":0,\"delta\":{},"
                + "\"finish_reason\":\"stop\"}]}"));
    reads.add(event("[DONE]"));
  }

  private static byte[] event(String data) {
    return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  @OperationsPerInvocation(TOKENS)
  public void sseParser(Blackhole bh) {
    SseParser parser = new SseParser(bh::consume);
    for (byte[] read : reads) {
      parser.feed(ByteBuffer.wrap(read));
    }
  }

  @Benchmark
  @OperationsPerInvocation(TOKENS)
  public void sseParserAndOpenAiChunks(Blackhole bh) {
    OpenAiStreamProtocol protocol = new OpenAiStreamProtocol();
    CallSink sink = new BlackholeSink(bh);
    SseParser parser = new SseParser(event -> protocol.onEvent(event, sink));
    for (byte[] read : reads) {
      parser.feed(ByteBuffer.wrap(read));
    }
  }

  private static final class BlackholeSink implements CallSink {
    private final Blackhole bh;
    private int deltas;

    BlackholeSink(Blackhole bh) {
      this.bh = bh;
    }

    @Override
    public void delta(String text) {
      deltas++;
      bh.consume(text);
    }

    @Override
    public void toolCall(int index, String id, String name, String arguments) {
      bh.consume(arguments);
    }

    @Override
    public void complete(FinishReason finishReason, TokenUsage usage) {
      bh.consume(finishReason);
    }

    @Override
    public void fail(ModelException error) {
      throw error;
    }

    @Override
    public int deltaCount() {
      return deltas;
    }
  }
}
