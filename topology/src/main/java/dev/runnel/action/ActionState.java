package dev.runnel.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.runnel.model.ChatMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable view of a session's state, limited to the fields the action declared it reads.
 * Reading any other field throws {@link IllegalStateException}, so an action's declared reads are
 * the truth. Fields hold JSON values, read through typed {@link StateKey}s.
 */
public final class ActionState {
  /** The conversation's field name. */
  public static final String MESSAGES = "messages";

  private final String sessionId;
  private final long version;
  private final List<ChatMessage> messages;
  private final Map<String, JsonNode> fields;
  private final Set<String> readable;

  /** A state whose fields are all strings. */
  public ActionState(
      String sessionId,
      long version,
      List<ChatMessage> messages,
      Map<String, String> fields,
      Set<String> readable) {
    this(sessionId, version, messages, readable, strings(fields));
  }

  private ActionState(
      String sessionId,
      long version,
      List<ChatMessage> messages,
      Set<String> readable,
      Map<String, JsonNode> fields) {
    this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
    this.version = version;
    this.messages = List.copyOf(messages);
    this.fields = Map.copyOf(fields);
    this.readable = Set.copyOf(readable);
  }

  /** A state whose fields hold JSON values of any type. */
  public static ActionState ofJson(
      String sessionId,
      long version,
      List<ChatMessage> messages,
      Map<String, JsonNode> fields,
      Set<String> readable) {
    Map<String, JsonNode> copies = new LinkedHashMap<>();
    fields.forEach((name, value) -> copies.put(name, value.deepCopy()));
    return new ActionState(sessionId, version, messages, readable, copies);
  }

  private static Map<String, JsonNode> strings(Map<String, String> fields) {
    Map<String, JsonNode> nodes = new LinkedHashMap<>();
    fields.forEach((name, value) -> nodes.put(name, TextNode.valueOf(value)));
    return nodes;
  }

  public String sessionId() {
    return sessionId;
  }

  /** The number of finals applied to the session so far. */
  public long version() {
    return version;
  }

  /** The conversation, oldest first. */
  public List<ChatMessage> messages() {
    requireReadable(MESSAGES);
    return messages;
  }

  /**
   * One of the action's own fields as text: a string field's value, any other field's JSON text (so
   * {@code 3} for a number). Prefer {@link #get(StateKey)}.
   */
  public Optional<String> field(String name) {
    requireReadable(name);
    JsonNode value = fields.get(name);
    if (value == null) {
      return Optional.empty();
    }
    return Optional.of(value.isTextual() ? value.textValue() : value.toString());
  }

  /**
   * One of the action's own fields, read as the key's type.
   *
   * @throws IllegalStateException when the field is not among the declared reads, or holds a value
   *     that is not of the key's type
   */
  public <T> Optional<T> get(StateKey<T> key) {
    requireReadable(key.name());
    JsonNode value = fields.get(key.name());
    return value == null ? Optional.empty() : Optional.ofNullable(key.read(value));
  }

  private void requireReadable(String name) {
    if (!readable.contains(name)) {
      throw new IllegalStateException(
          "state field '" + name + "' is not among the action's declared reads " + readable);
    }
  }
}
