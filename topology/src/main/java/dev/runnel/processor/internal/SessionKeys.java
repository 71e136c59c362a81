package dev.runnel.processor.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Reads a session id from a record key: strict UTF-8, so that two different keys never become one
 * session, and the string's UTF-8 bytes (the key of every record Runnel writes for the session) are
 * exactly the input key's bytes and land on the same partition.
 */
final class SessionKeys {
  /** Longest key accepted; a session id is repeated in every record Runnel writes for it. */
  static final int MAX_BYTES = 1024;

  private SessionKeys() {}

  /** Why a key is not a session id. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * @return the session id, or null for a missing or empty key
   * @throws Invalid for a key that is not valid UTF-8 or longer than {@link #MAX_BYTES}
   */
  static String decode(byte[] key) throws Invalid {
    if (key == null || key.length == 0) {
      return null;
    }
    if (key.length > MAX_BYTES) {
      throw new Invalid(
          "the key has " + key.length + " bytes; a session id has at most " + MAX_BYTES);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(key))
          .toString();
    } catch (CharacterCodingException e) {
      int shown = Math.min(key.length, 32);
      throw new Invalid(
          "the key "
              + HexFormat.ofDelimiter(" ").withPrefix("0x").formatHex(key, 0, shown)
              + (shown < key.length ? " ..." : "")
              + " is not valid UTF-8; a session id must be");
    }
  }
}
