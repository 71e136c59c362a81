package dev.runnel.hook;

/**
 * A session state that was applied.
 *
 * @param session the session id
 * @param requestId the request whose outcome it records
 * @param version the state's version
 * @param status how the request ended, or that a step of its application's run finished
 */
public record StateApplied(String session, String requestId, long version, Status status) {

  /** How the request the state records ended. */
  public enum Status {
    COMPLETED,
    FAILED,
    CANCELLED,
    /** A step of an application's run finished and the run goes on with another. */
    STEP_COMPLETED
  }
}
