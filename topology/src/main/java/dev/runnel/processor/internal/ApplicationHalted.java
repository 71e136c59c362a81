package dev.runnel.processor.internal;

import java.time.Instant;

/**
 * An application's run cannot take its next step: no transition of the finished action holds on the
 * state ({@code NO_TRANSITION}), the run reached the application's bound on steps ({@code
 * STEP_LIMIT}), or a remote tool did not answer by its call's deadline ({@code TOOL_TIMEOUT}). The
 * finished step's update stays applied; the request fails for good.
 */
final class ApplicationHalted extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String kind;

  private ApplicationHalted(String kind, String message) {
    super(message);
    this.kind = kind;
  }

  static ApplicationHalted noTransition(String application, String action) {
    return new ApplicationHalted(
        "NO_TRANSITION",
        "application '"
            + application
            + "': no transition from action '"
            + action
            + "' holds on the state it left, and '"
            + action
            + "' does not halt");
  }

  static ApplicationHalted stepLimit(String application, int maxSteps) {
    return new ApplicationHalted(
        "STEP_LIMIT",
        "application '" + application + "' reached its bound of " + maxSteps + " steps");
  }

  static ApplicationHalted toolTimeout(
      String tool, String callId, Instant deadline, String resultsTopic) {
    return new ApplicationHalted(
        "TOOL_TIMEOUT",
        "remote tool '"
            + tool
            + "' did not answer call '"
            + callId
            + "' by its deadline "
            + deadline
            + " (answers are read from topic "
            + resultsTopic
            + ")");
  }

  static ApplicationHalted approvalTimeout(
      String tool, String callId, Instant deadline, String resultsTopic) {
    return new ApplicationHalted(
        "TOOL_TIMEOUT",
        "call '"
            + callId
            + "' of tool '"
            + tool
            + "' was neither approved nor rejected by its deadline "
            + deadline
            + " (decisions are read from topic "
            + resultsTopic
            + ")");
  }

  String kind() {
    return kind;
  }
}
