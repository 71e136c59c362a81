package dev.runnel.serde;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads the values producers write to Runnel's input topics (prompts, cancellations) in any of the
 * framings Runnel accepts, told apart by their first bytes, so producers in any language, and a
 * fleet migrating between modes, can write to the same topic:
 *
 * <ul>
 *   <li>{@code C3 01}: Avro single-object encoding (the registry-less default);
 *   <li>{@code 00}: the schema-registry wire format, its schema id resolved through the configured
 *       registry (cached); without a registry such a record is rejected saying so;
 *   <li>{@code {}: a UTF-8 JSON object with the Avro record's field names, a nullable field as
 *       {@code null} or its plain value; a missing field takes its schema default. An unknown field,
 *       a wrong type or a missing required field is rejected naming the field.
 * </ul>
 */
public final class InputDecoder<T extends SpecificRecord> {
  static {
    AvroTrust.install();
  }

  private static final byte SINGLE_OBJECT_0 = (byte) 0xC3;
  private static final byte SINGLE_OBJECT_1 = (byte) 0x01;
  private static final byte REGISTRY_MAGIC = 0x00;
  private static final byte JSON_OBJECT = '{';

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Class<T> type;
  private final Schema schema;
  private final AvroSerde<T> singleObject;
  private final Optional<RegistryAvroSerde<T>> registryFramed;
  private final SpecificDatumReader<T> fromJson;

  private InputDecoder(Class<T> type, Optional<SchemaRegistry> registry) {
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    this.singleObject = AvroSerde.of(type);
    this.registryFramed = registry.map(r -> RegistryAvroSerde.of(type, r));
    this.fromJson = new SpecificDatumReader<>(schema, schema, SpecificData.getForClass(type));
  }

  /**
   * A decoder for a generated record class; {@code registry} resolves registry-framed values, and
   * when empty such values are rejected.
   */
  public static <T extends SpecificRecord> InputDecoder<T> of(
      Class<T> type, Optional<SchemaRegistry> registry) {
    return new InputDecoder<>(type, registry);
  }

  /**
   * Decodes one value read from {@code topic}; null stays null. Throws {@link
   * SerializationException} saying which framing was seen and what is wrong with it.
   */
  public T decode(String topic, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    if (bytes.length >= 2 && bytes[0] == SINGLE_OBJECT_0 && bytes[1] == SINGLE_OBJECT_1) {
      return singleObject.decode(bytes);
    }
    if (bytes.length >= 1 && bytes[0] == REGISTRY_MAGIC) {
      if (registryFramed.isEmpty()) {
        throw new SerializationException(
            "A "
                + type.getSimpleName()
                + " in the schema-registry wire format (magic byte 0x00"
                + (bytes.length >= 5
                    ? ", schema id " + ByteBuffer.wrap(bytes, 1, 4).getInt()
                    : ", but only " + bytes.length + " bytes")
                + "), but no schema registry is configured (runnel.schema.registry.url is empty);"
                + " configure the registry or write Avro single-object encoding or JSON");
      }
      return registryFramed.get().decode(topic, bytes);
    }
    if (bytes.length >= 1 && bytes[0] == JSON_OBJECT) {
      return decodeJson(bytes);
    }
    throw new SerializationException(
        "Not a "
            + type.getSimpleName()
            + " ("
            + bytes.length
            + " bytes, starting "
            + leadingBytes(bytes)
            + "): expected Avro single-object encoding (0xc3 0x01), the schema-registry wire"
            + " format (0x00) or a JSON object ('{')");
  }

  private T decodeJson(byte[] bytes) {
    JsonNode tree;
    try (JsonParser parser = JSON.createParser(bytes)) {
      tree = JSON.readTree(parser);
      if (parser.nextToken() != null) {
        throw invalid(
            "more after the JSON object (at byte "
                + parser.currentTokenLocation().getByteOffset()
                + ")");
      }
    } catch (JsonEOFException e) {
      throw invalid("the value ends (after " + bytes.length + " bytes) inside the JSON object");
    } catch (JsonProcessingException e) {
      // Parsed from bytes, so Jackson tracks the byte offset, not a character offset.
      String where =
          e.getLocation() == null || e.getLocation().getByteOffset() < 0
              ? ""
              : " (at byte " + e.getLocation().getByteOffset() + ")";
      throw invalid(e.getOriginalMessage() + where);
    } catch (IOException e) {
      throw invalid(e.toString());
    }
    Object generic = fromJson(schema, tree, "");
    // Written with the generic model and read back with the specific one: this applies Avro's own
    // checks and gives the generated class, with no second mapping of Avro types to maintain.
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      new GenericDatumWriter<Object>(schema).write(generic, encoder);
      encoder.flush();
      return fromJson.read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Not a " + type.getSimpleName() + " in JSON: " + e.getMessage(), e);
    }
  }

  private Object fromJson(Schema field, JsonNode node, String path) {
    switch (field.getType()) {
      case RECORD:
        {
          if (!node.isObject()) {
            throw wrongType(path, "an object", node);
          }
          Set<String> known = new LinkedHashSet<>();
          GenericRecord record = new GenericData.Record(field);
          for (Schema.Field f : field.getFields()) {
            known.add(f.name());
            String at = path.isEmpty() ? f.name() : path + "." + f.name();
            JsonNode value = node.get(f.name());
            if (value != null) {
              record.put(f.pos(), fromJson(f.schema(), value, at));
            } else if (f.hasDefaultValue()) {
              record.put(f.pos(), GenericData.get().getDefaultValue(f));
            } else {
              throw invalid("field '" + at + "' is required");
            }
          }
          for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
              throw invalid(
                  "unknown field '"
                      + (path.isEmpty() ? name : path + "." + name)
                      + "' (fields: "
                      + String.join(", ", known)
                      + ")");
            }
          }
          return record;
        }
      case UNION:
        {
          if (node.isNull()
              && field.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL)) {
            return null;
          }
          List<Schema> others =
              field.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
          if (others.size() != 1) {
            throw invalid("field '" + path + "' is a union JSON input does not support");
          }
          return fromJson(others.get(0), node, path);
        }
      case MAP:
        {
          if (!node.isObject()) {
            throw wrongType(path, "an object", node);
          }
          Map<String, Object> map = new LinkedHashMap<>();
          node.fields()
              .forEachRemaining(
                  e ->
                      map.put(
                          e.getKey(),
                          fromJson(field.getValueType(), e.getValue(), path + "." + e.getKey())));
          return map;
        }
      case ARRAY:
        {
          if (!node.isArray()) {
            throw wrongType(path, "an array", node);
          }
          List<Object> list = new ArrayList<>();
          for (int i = 0; i < node.size(); i++) {
            list.add(fromJson(field.getElementType(), node.get(i), path + "[" + i + "]"));
          }
          return list;
        }
      case STRING:
        if (!node.isTextual()) {
          throw wrongType(path, "a string", node);
        }
        return node.textValue();
      case ENUM:
        if (!node.isTextual() || !field.hasEnumSymbol(node.textValue())) {
          throw wrongType(path, "one of " + field.getEnumSymbols(), node);
        }
        return new GenericData.EnumSymbol(field, node.textValue());
      case BOOLEAN:
        if (!node.isBoolean()) {
          throw wrongType(path, "true or false", node);
        }
        return node.booleanValue();
      case INT:
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
          throw wrongType(path, "a 32-bit integer", node);
        }
        return node.intValue();
      case LONG:
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
          throw wrongType(path, "a 64-bit integer", node);
        }
        return node.longValue();
      case FLOAT:
      case DOUBLE:
        if (!node.isNumber()) {
          throw wrongType(path, "a number", node);
        }
        return field.getType() == Schema.Type.FLOAT
            ? (Object) node.floatValue()
            : node.doubleValue();
      case NULL:
        if (!node.isNull()) {
          throw wrongType(path, "null", node);
        }
        return null;
      default:
        throw invalid(
            "field '"
                + path
                + "' has Avro type "
                + field.getType()
                + ", which JSON input does not support");
    }
  }

  private SerializationException wrongType(String path, String expected, JsonNode node) {
    return invalid(
        "field '"
            + path
            + "' must be "
            + expected
            + ", not "
            + node.getNodeType().name().toLowerCase(Locale.ROOT));
  }

  private SerializationException invalid(String what) {
    return new SerializationException("Not a " + type.getSimpleName() + " in JSON: " + what);
  }

  private static String leadingBytes(byte[] bytes) {
    if (bytes.length == 0) {
      return "empty";
    }
    StringBuilder shown = new StringBuilder();
    for (int i = 0; i < Math.min(2, bytes.length); i++) {
      shown.append(i == 0 ? "" : " ").append(String.format("0x%02x", bytes[i]));
    }
    return shown.toString();
  }
}
