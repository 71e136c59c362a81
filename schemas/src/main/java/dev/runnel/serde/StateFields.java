package dev.runnel.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.runnel.schemas.SessionState;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The action fields of a {@link SessionState} as JSON values, and its last result's value. A string
 * value is kept as plain text in {@code fields}, as every field was before typed state
 * (SessionState v1, v2), so those records and readers that know only {@code fields} keep working
 * for strings; any other value is kept as JSON text in {@code jsonFields}. A name is in at most one
 * of the two.
 */
public final class StateFields {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StateFields() {}

  /** Every field of the state, by name, sorted. */
  public static Map<String, JsonNode> read(SessionState state) {
    Map<String, JsonNode> fields = new TreeMap<>();
    state.getFields().forEach((name, text) -> fields.put(name, TextNode.valueOf(text)));
    state
        .getJsonFields()
        .forEach(
            (name, text) -> {
              try {
                fields.put(name, JSON.readTree(text));
              } catch (JsonProcessingException e) {
                throw new IllegalStateException(
                    "state field '"
                        + name
                        + "' of session "
                        + state.getSessionId()
                        + " does not hold JSON text",
                    e);
              }
            });
    return fields;
  }

  /** The value of the last request's result ({@code lastResult}), if it has one. */
  public static Optional<JsonNode> lastResult(SessionState state) {
    if (state.getLastResult() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readTree(state.getLastResult()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "the last result of session " + state.getSessionId() + " does not hold JSON text", e);
    }
  }

  /** Sets fields on a state builder, each moving to the map its new value belongs in. */
  public static void write(
      SessionState previous, Map<String, JsonNode> updates, SessionState.Builder next) {
    split(previous.getFields(), previous.getJsonFields(), updates, next);
  }

  /** Sets every field of a state that has no earlier fields, each in the map it belongs in. */
  public static void writeAll(Map<String, JsonNode> fields, SessionState.Builder next) {
    split(Map.of(), Map.of(), fields, next);
  }

  private static void split(
      Map<String, String> previousText,
      Map<String, String> previousJson,
      Map<String, JsonNode> updates,
      SessionState.Builder next) {
    Map<String, String> legacy = new HashMap<>(previousText);
    Map<String, String> json = new HashMap<>(previousJson);
    updates.forEach(
        (name, value) -> {
          if (value.isTextual()) {
            json.remove(name);
            legacy.put(name, value.textValue());
          } else {
            legacy.remove(name);
            json.put(name, value.toString());
          }
        });
    next.setFields(legacy).setJsonFields(json);
  }
}
