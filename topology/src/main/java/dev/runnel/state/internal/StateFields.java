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
 * The action fields of a {@link SessionState} as JSON values. Records written before typed state
 * (SessionState v1, v2) hold plain strings in {@code fields}, read as JSON strings; newer ones hold
 * JSON text in {@code jsonFields}, which wins for a name in both.
 */
public final class StateFields {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StateFields() {}

  /** Every field of the state, by name, sorted. */
  public static Map<String, JsonNode> read(SessionState state) {
    Map<String, JsonNode> fields = new TreeMap<>();
    state.getFields().forEach((name, value) -> fields.put(name, TextNode.valueOf(value)));
    state
        .getJsonFields()
        .forEach(
            (name, text) -> {
              try {
                fields.put(name, JSON.readTree(text));
              } catch (JsonProcessingException e) {
                throw new IllegalStateException(
                    "state field '" + name + "' of session " + state.getSessionId()
                        + " does not hold JSON text",
                    e);
              }
            });
    return fields;
  }

  /**
   * Sets fields on a state builder: the new values join {@code jsonFields} and leave the
   * pre-typed {@code fields}.
   */
  public static void write(
      SessionState previous, Map<String, JsonNode> updates, SessionState.Builder next) {
    Map<String, String> legacy = new HashMap<>(previous.getFields());
    Map<String, String> json = new HashMap<>(previous.getJsonFields());
    updates.forEach(
        (name, value) -> {
          legacy.remove(name);
          json.put(name, value.toString());
        });
    next.setFields(legacy).setJsonFields(json);
  }
}
