package dev.runnel.action;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Objects;

/**
 * A typed name for one of an action's own state fields. A field holds a JSON value (a number,
 * boolean, string, list or object); the key says which Java type it is read and written as, through
 * Jackson data binding:
 *
 * <pre>{@code
 * static final StateKey<Integer> COUNT = StateKey.of("count", Integer.class);
 * static final StateKey<List<String>> TAGS = StateKey.of("tags", new TypeReference<>() {});
 * int count = state.get(COUNT).orElse(0);
 * StateUpdate.builder().set(COUNT, count + 1).build();
 * }</pre>
 *
 * Reading a value that is not of the key's type (a string through an {@code Integer} key, say)
 * throws {@link IllegalStateException} naming the field, its JSON type and the key's type; scalars
 * are not coerced ({@code "3"} is not read as {@code 3}).
 *
 * @param <T> the field's Java type
 */
public final class StateKey<T> {
  static final ObjectMapper JSON = strictMapper();

  private final String name;
  private final JavaType type;

  private StateKey(String name, JavaType type) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = type;
    if (name.isBlank()) {
      throw new IllegalArgumentException("a state key's name must not be blank");
    }
    if (name.equals(ActionState.MESSAGES)) {
      throw new IllegalArgumentException(
          "'"
              + ActionState.MESSAGES
              + "' is the conversation: read it with ActionState.messages()");
    }
  }

  /** A key for a field of a plain type, such as {@code Integer.class} or a record. */
  public static <T> StateKey<T> of(String name, Class<T> type) {
    return new StateKey<>(name, JSON.constructType(Objects.requireNonNull(type, "type")));
  }

  /** A key for a field of a generic type, such as {@code new TypeReference<List<String>>() {}}. */
  public static <T> StateKey<T> of(String name, TypeReference<T> type) {
    return new StateKey<>(name, JSON.constructType(Objects.requireNonNull(type, "type")));
  }

  public String name() {
    return name;
  }

  /** The Java type the field is read as. */
  public JavaType type() {
    return type;
  }

  T read(JsonNode value) {
    try {
      return JSON.readerFor(type).readValue(JSON.treeAsTokens(value));
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "state field '"
              + name
              + "' holds a JSON "
              + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
              + ", which cannot be read as "
              + type.toCanonical()
              + ": "
              + e.getMessage().lines().findFirst().orElse(""),
          e);
    }
  }

  JsonNode write(T value) {
    Objects.requireNonNull(value, () -> "value of state field '" + name + "'");
    try {
      return JSON.readTree(JSON.writerFor(type).writeValueAsBytes(value));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(
          "state field '" + name + "': cannot write " + value.getClass().getName() + " as JSON", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateKey<?> other && name.equals(other.name) && type.equals(other.type);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type);
  }

  @Override
  public String toString() {
    return "StateKey[" + name + ": " + type.toCanonical() + "]";
  }

  private static ObjectMapper strictMapper() {
    JsonMapper mapper = JsonMapper.builder().build();
    mapper
        .coercionConfigDefaults()
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
    return mapper;
  }
}
