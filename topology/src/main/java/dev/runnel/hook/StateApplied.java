package dev.runnel.hook;

/**
 * A session state that was applied.
 *
 * @param session the session id
 * @param requestId the request whose outcome it records
 * @param version the state's version
 * @param status how the request ended
 */
public record StateApplied(String session, String requestId, long version, Status status) {

  /** How the request the state records ended. */
  public enum Status {
    COMPLETED,
    FAILED,
    CANCELLED
  }
}
