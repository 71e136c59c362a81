package dev.runnel.bench.jmh;

import dev.runnel.schemas.Chunk;
import dev.runnel.serde.AvroSerde;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Encoding and decoding one delta chunk with the registry-less {@link AvroSerde}: every token of
 * every reply goes through both once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChunkSerdeBenchmark {
  private Serializer<Chunk> serializer;
  private Deserializer<Chunk> deserializer;
  private Chunk delta;
  private byte[] encoded;

  @Setup
  public void setUp() {
    AvroSerde<Chunk> serde = AvroSerde.of(Chunk.class);
    serializer = serde.serializer();
    deserializer = serde.deserializer();
    delta =
        Chunk.newBuilder()
            .setSessionId("session-0042")
            .setRequestId("bench-7f3c2a9e-0042-17")
            .setAttempt(1)
            .setSequence(17)
            .setDelta("流式 🚀 ")
            .build();
    encoded = serde.encode(delta);
  }

  @Benchmark
  public byte[] serialize() {
    return serializer.serialize("runnel.chunks", delta);
  }

  @Benchmark
  public Chunk deserialize() {
    return deserializer.deserialize("runnel.chunks", encoded);
  }
}
