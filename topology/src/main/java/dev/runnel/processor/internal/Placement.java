package dev.runnel.processor.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Keeps one session in one place whatever partitioner its producers use. Every record Runnel writes
 * for a session is keyed by its id and placed by Kafka's default partitioner (murmur2 of the key
 * bytes), and the session's state lives in the task of that partition. A producer with another
 * partitioner (librdkafka's default is CRC32) puts the session's input on another partition: such a
 * record is passed on through a repartition topic keyed by the same bytes, which lands it on the
 * murmur2 partition, carrying where it came from in headers. Records without a key stay where they
 * are (there is no session to place; the processor rejects them).
 *
 * <p>One instance forwards the records already in place, another the ones to reroute.
 */
final class Placement extends ContextualProcessor<byte[], byte[], byte[], byte[]> {
  static final String ORIGIN_TOPIC = "runnel.origin.topic";
  static final String ORIGIN_PARTITION = "runnel.origin.partition";
  static final String ORIGIN_OFFSET = "runnel.origin.offset";

  private final int partitions;
  private final boolean inPlace;

  /**
   * @param partitions the input topics' partition count
   * @param inPlace forward the records on their key's partition (else the others)
   */
  Placement(int partitions, boolean inPlace) {
    this.partitions = partitions;
    this.inPlace = inPlace;
  }

  /** The partition Kafka's default partitioner gives a key. */
  static int partitionOf(byte[] key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key)) % partitions;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context().recordMetadata().orElseThrow();
    byte[] key = record.key();
    boolean placed =
        key == null || key.length == 0 || partitionOf(key, partitions) == source.partition();
    if (placed == inPlace) {
      context().forward(placed ? record : record.withHeaders(withOrigin(record.headers(), source)));
    }
  }

  private static Headers withOrigin(Headers original, RecordMetadata source) {
    Headers headers = new RecordHeaders(original.toArray());
    headers.remove(ORIGIN_TOPIC).remove(ORIGIN_PARTITION).remove(ORIGIN_OFFSET);
    headers.add(ORIGIN_TOPIC, source.topic().getBytes(StandardCharsets.UTF_8));
    headers.add(ORIGIN_PARTITION, ByteBuffer.allocate(4).putInt(source.partition()).array());
    headers.add(ORIGIN_OFFSET, ByteBuffer.allocate(8).putLong(source.offset()).array());
    return headers;
  }

  /**
   * Where a record first arrived: the headers' origin for a record read from the repartition topic
   * (only there, so that a producer cannot pose as another topic), else its own metadata.
   */
  static RecordMetadata origin(Headers headers, RecordMetadata metadata, String rerouteTopic) {
    if (!metadata.topic().equals(rerouteTopic)) {
      return metadata;
    }
    Header topic = headers.lastHeader(ORIGIN_TOPIC);
    Header partition = headers.lastHeader(ORIGIN_PARTITION);
    Header offset = headers.lastHeader(ORIGIN_OFFSET);
    if (topic == null
        || partition == null
        || partition.value().length != 4
        || offset == null
        || offset.value().length != 8) {
      return metadata;
    }
    return new Origin(
        new String(topic.value(), StandardCharsets.UTF_8),
        ByteBuffer.wrap(partition.value()).getInt(),
        ByteBuffer.wrap(offset.value()).getLong());
  }

  private record Origin(String topic, int partition, long offset) implements RecordMetadata {}
}
