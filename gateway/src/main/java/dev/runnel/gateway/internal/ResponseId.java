package dev.runnel.gateway.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The id of a Responses API response: {@code resp_} and the URL-safe base64 of what any gateway
 * instance needs to serve it without shared memory: the client's session, the prompt's request id,
 * the chunks partition of the session and an offset at or below that of the request's first chunk
 * (the feed's position when the prompt was sent), when it was created, its model, and whether it is
 * stored and in the background. The id is not a secret and not signed: it names a session, as
 * {@code X-Runnel-Session} does.
 */
record ResponseId(
    String session,
    String requestId,
    int partition,
    long fromOffset,
    long createdAt,
    String model,
    boolean stored,
    boolean background) {
  static final String PREFIX = "resp_";
  private static final int VERSION = 1;

  String encode() {
    ArrayNode parts = Json.MAPPER.createArrayNode();
    parts
        .add(VERSION)
        .add(session)
        .add(requestId)
        .add(partition)
        .add(fromOffset)
        .add(createdAt)
        .add(model)
        .add(stored)
        .add(background);
    return PREFIX
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(Json.write(parts).getBytes(StandardCharsets.UTF_8));
  }

  /** The message item of this response's reply. */
  String messageId() {
    return "msg_" + encode().substring(PREFIX.length());
  }

  /** Empty when {@code raw} is not an id this gateway made. */
  static Optional<ResponseId> decode(String raw) {
    if (raw == null || !raw.startsWith(PREFIX)) {
      return Optional.empty();
    }
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(raw.substring(PREFIX.length()));
      JsonNode parts = Json.MAPPER.readTree(new String(bytes, StandardCharsets.UTF_8));
      if (parts == null
          || !parts.isArray()
          || parts.size() != 9
          || parts.get(0).asInt() != VERSION
          || !parts.get(1).isTextual()
          || !parts.get(2).isTextual()
          || !parts.get(3).isInt()
          || !parts.get(4).isIntegralNumber()
          || !parts.get(5).isIntegralNumber()
          || !parts.get(6).isTextual()
          || !parts.get(7).isBoolean()
          || !parts.get(8).isBoolean()
          || parts.get(3).asInt() < 0
          || parts.get(4).asLong() < 0) {
        return Optional.empty();
      }
      return Optional.of(
          new ResponseId(
              Validation.sessionId(parts.get(1).asText()),
              Validation.requestId(parts.get(2).asText()),
              parts.get(3).asInt(),
              parts.get(4).asLong(),
              parts.get(5).asLong(),
              parts.get(6).asText(),
              parts.get(7).asBoolean(),
              parts.get(8).asBoolean()));
    } catch (IllegalArgumentException | JsonProcessingException | Validation.Invalid e) {
      return Optional.empty();
    }
  }
}
