package dev.runnel.hook;

/**
 * What became of an arriving record.
 *
 * @param session the session id; null when the record had no valid key
 * @param requestId the request id; null when it was not known
 * @param kind what happened
 * @param reason the dead-letter reason (e.g. {@code UNKNOWN_ACTION}, {@code REQUEST_FAILED}); null
 *     for the other kinds
 */
public record RequestEvent(String session, String requestId, Kind kind, String reason) {

  /** What happened to the record. */
  public enum Kind {
    /** A prompt was accepted into its session's queue. */
    ACCEPTED,
    /** A prompt repeated a request id that was queued or applied; it was answered, not run. */
    DUPLICATE,
    /** A cancellation removed a request that was waiting and had not started. */
    CANCELLED,
    /** A record, or a request that failed for good, went to the dead-letter topic. */
    DEAD_LETTERED
  }
}
