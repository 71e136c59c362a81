package dev.runnel.serde;

import dev.runnel.serde.internal.RegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for a generated Avro record in the schema-registry wire format: a zero magic byte, the
 * writer schema's registry id as four big-endian bytes, then the Avro binary datum. The schema is
 * registered under {@code <topic>-value} (the topic-name strategy) on first use; a reader fetches
 * the writer schema by id and resolves it against the generated class, so records written with any
 * compatible version read. A null value (a tombstone) stays null both ways.
 */
public final class RegistryAvroSerde<T extends SpecificRecord> implements Serde<T> {
  static {
    AvroTrust.install();
  }

  private static final byte MAGIC = 0;
  private static final int HEADER = 5;

  private final Class<T> type;
  private final Schema schema;
  private final RegistryClient registry;
  private final SpecificData model;
  private final SpecificDatumWriter<T> writer;

  private RegistryAvroSerde(Class<T> type, Schema schema, RegistryClient registry) {
    this.type = type;
    this.schema = schema;
    this.registry = registry;
    this.model = SpecificData.getForClass(type);
    this.writer = new SpecificDatumWriter<>(schema, model);
  }

  /** A serde for a generated record class, registering and resolving through {@code registry}. */
  public static <T extends SpecificRecord> RegistryAvroSerde<T> of(
      Class<T> type, SchemaRegistry registry) {
    return new RegistryAvroSerde<>(type, SpecificData.get().getSchema(type), registry.client());
  }

  /** The subject a topic's values are registered under. */
  public static String subject(String topic) {
    return topic + "-value";
  }

  /** Encodes one value written to {@code topic}; null stays null. */
  public byte[] encode(String topic, T value) {
    if (value == null) {
      return null;
    }
    int id = registry.register(subject(topic), schema);
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.write(MAGIC);
    out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(value, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot encode " + type.getSimpleName() + " for topic '" + topic + "': " + e, e);
    }
    return out.toByteArray();
  }

  /** Decodes one value read from {@code topic}; null stays null. */
  public T decode(String topic, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    if (bytes.length < HEADER || bytes[0] != MAGIC) {
      throw new SerializationException(
          "Not a "
              + type.getSimpleName()
              + " in schema-registry wire format on topic '"
              + topic
              + "' ("
              + bytes.length
              + " bytes, first byte "
              + (bytes.length == 0 ? "none" : String.format("0x%02x", bytes[0]))
              + "; expected magic byte 0x00 and a 4-byte schema id)");
    }
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    Schema writerSchema = registry.schema(id);
    // A reader per call: Avro caches the writer-to-reader resolution per schema pair and thread.
    SpecificDatumReader<T> reader = new SpecificDatumReader<>(writerSchema, schema, model);
    try {
      BinaryDecoder decoder =
          DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, null);
      return reader.read(null, decoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot read a "
              + type.getSimpleName()
              + " from topic '"
              + topic
              + "' written with schema id "
              + id
              + " ("
              + writerSchema.getFullName()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return this::encode;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this::decode;
  }
}
