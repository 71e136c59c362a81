package dev.runnel.processor.internal;

/**
 * Keys of the pending-request store: {@code <length>:<session>:<sequence>}, with the sequence
 * zero-padded so one session's requests sort in order and a prefix scan finds exactly them,
 * whatever characters the session id holds.
 */
final class QueueKeys {
  private QueueKeys() {}

  static String prefix(String sessionId) {
    return sessionId.length() + ":" + sessionId + ":";
  }

  static String of(String sessionId, long sequence) {
    return prefix(sessionId) + String.format("%019d", sequence);
  }
}
