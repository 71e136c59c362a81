package dev.runnel.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.runnel.model.ChatMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The state update of a final: messages appended to the conversation (Burr's {@code state.append})
 * and fields set (Burr's {@code state.update}).
 */
public final class StateUpdate {
  private final List<ChatMessage> appended;
  private final Map<String, JsonNode> fields;

  private StateUpdate(List<ChatMessage> appended, Map<String, JsonNode> fields) {
    this.appended = List.copyOf(appended);
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Messages to append to the conversation, in order. */
  public List<ChatMessage> appendedMessages() {
    return appended;
  }

  /** Fields to set, by name. */
  public Map<String, JsonNode> fields() {
    return fields;
  }

  /** The names of every field this update writes. */
  public Set<String> writes() {
    Set<String> writes = new LinkedHashSet<>(fields.keySet());
    if (!appended.isEmpty()) {
      writes.add(ActionState.MESSAGES);
    }
    return writes;
  }

  /** Builds a {@link StateUpdate}. */
  public static final class Builder {
    private final List<ChatMessage> appended = new ArrayList<>();
    private final Map<String, JsonNode> fields = new LinkedHashMap<>();

    private Builder() {}

    /** Appends messages to the conversation ({@link ActionState#MESSAGES}). */
    public Builder appendMessages(ChatMessage... messages) {
      for (ChatMessage message : messages) {
        appended.add(Objects.requireNonNull(message, "message"));
      }
      return this;
    }

    /** Sets one of the action's own fields to a string. */
    public Builder put(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.equals(ActionState.MESSAGES)) {
        throw new IllegalArgumentException(
            "'" + ActionState.MESSAGES + "' is the conversation: use appendMessages");
      }
      fields.put(name, TextNode.valueOf(value));
      return this;
    }

    /** Sets one of the action's own fields to a value of the key's type, stored as JSON. */
    public <T> Builder set(StateKey<T> key, T value) {
      fields.put(key.name(), key.write(value));
      return this;
    }

    public StateUpdate build() {
      return new StateUpdate(appended, fields);
    }
  }
}
