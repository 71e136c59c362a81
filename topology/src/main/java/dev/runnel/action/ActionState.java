package dev.runnel.action;

import dev.runnel.model.ChatMessage;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable view of a session's state, limited to the fields the action declared it reads.
 * Reading any other field throws {@link IllegalStateException}, so an action's declared reads are
 * the truth.
 */
public final class ActionState {
  /** The conversation's field name. */
  public static final String MESSAGES = "messages";

  private final String sessionId;
  private final long version;
  private final List<ChatMessage> messages;
  private final Map<String, String> fields;
  private final Set<String> readable;

  public ActionState(
      String sessionId,
      long version,
      List<ChatMessage> messages,
      Map<String, String> fields,
      Set<String> readable) {
    this.sessionId = Objects.requireNonNull(sessionId, "sessionId");
    this.version = version;
    this.messages = List.copyOf(messages);
    this.fields = Map.copyOf(fields);
    this.readable = Set.copyOf(readable);
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

  /** One of the action's own fields. */
  public Optional<String> field(String name) {
    requireReadable(name);
    return Optional.ofNullable(fields.get(name));
  }

  private void requireReadable(String name) {
    if (!readable.contains(name)) {
      throw new IllegalStateException(
          "state field '" + name + "' is not among the action's declared reads " + readable);
    }
  }
}
