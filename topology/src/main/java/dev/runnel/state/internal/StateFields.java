package dev.runnel.state.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.runnel.schemas.SessionState;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The action fields of a {@link SessionState} as JSON values. A string value is kept as plain text
 * in {@code fields}, as every field was before typed state (SessionState v1, v2), so those records
 * and readers that know only {@code fields} keep working for strings; any other value is kept as
 * JSON text in {@code jsonFields}. A name is in at most one of the two.
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

  /** Sets fields on a state builder, each moving to the map its new value belongs in. */
  public static void write(
      SessionState previous, Map<String, JsonNode> updates, SessionState.Builder next) {
    Map<String, String> legacy = new HashMap<>(previous.getFields());
    Map<String, String> json = new HashMap<>(previous.getJsonFields());
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
